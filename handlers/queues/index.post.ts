import { queueInput } from '../../api/index.ts'
import { created, defineHandler } from '../../runtime/index.ts'

/**
 * Makes a queue, and beside it its dead-letter queue (`<name>.dead`), where a message goes after
 * maxDeliveries deliveries without an ack, or past its time to live: never dropped.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Makes a durable queue and its dead-letter queue (201)',
    body: queueInput,
    example: { body: { name: 'orders', visibilityTimeoutMs: 30000, maxDeliveries: 5 } },
  },
  async (_request, ctx, { body }) => {
    const queue = await ctx.db.send('queues.create', body)
    return created(queue, `/queues/${encodeURIComponent(queue.name)}`)
  }
)
