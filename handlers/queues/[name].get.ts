import { defineHandler } from '../../runtime/index.ts'
import { queueOf } from '../_shared/queues.ts'

/** One queue: its settings and what it holds. */
export default defineHandler(
  { access: 'viewer', summary: 'One queue, with what it holds' },
  async (request, ctx) => ctx.db.send('queues.get', { name: queueOf(request) })
)
