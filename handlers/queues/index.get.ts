import { defineHandler } from '../../runtime/index.ts'

/** Every queue with what it holds: ready, delayed, in flight, dead letters. */
export default defineHandler(
  { access: 'viewer', summary: 'The queues, each with what it holds' },
  async (_request, ctx) => ctx.db.send('queues.list', {})
)
