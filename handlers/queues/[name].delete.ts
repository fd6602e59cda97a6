import { defineHandler } from '../../runtime/index.ts'
import { queueOf } from '../_shared/queues.ts'

/** Deletes a queue with its dead-letter queue and every message in them. */
export default defineHandler(
  {
    access: 'operator',
    summary:
      'Deletes a queue, its dead letters and its messages (an admin, or a user granted manage)',
  },
  async (request, ctx) => ctx.db.send('queues.delete', { name: queueOf(request) })
)
