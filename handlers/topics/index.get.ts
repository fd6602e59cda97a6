import { defineHandler } from '../../runtime/index.ts'

/** The topics, with what each keeps, and every subscription with its pattern and its queue. */
export default defineHandler(
  { access: 'viewer', summary: 'The topics and the subscriptions' },
  async (_request, ctx) => ctx.db.send('topics.list', {})
)
