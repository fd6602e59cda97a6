import { topicInput } from '../../api/index.ts'
import { created, defineHandler } from '../../runtime/index.ts'

/** Makes a topic, keeping what is published to it for its retention (by age and by count). */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Makes a topic (201)',
    body: topicInput,
    example: { body: { name: 'orders.eu', retentionMs: 604800000, retentionCount: 100000 } },
  },
  async (_request, ctx, { body }) => {
    const topic = await ctx.db.send('topics.create', body)
    return created(topic, `/topics/${encodeURIComponent(topic.name)}`)
  }
)
