import { queuePurgeInput } from '../../../api/index.ts'
import { defineHandler, HttpError } from '../../../runtime/index.ts'
import { queueOf } from '../../_shared/queues.ts'

/**
 * Deletes every message of a queue, delivered or not; its dead letters and the ids it has seen
 * stay. The body must name the queue again (`confirm`): a purge cannot be undone.
 */
export default defineHandler(
  {
    access: 'operator',
    summary:
      'Deletes every message of a queue (confirm: its name; an admin, or a user granted manage)',
    body: queuePurgeInput,
    example: { body: { confirm: 'orders' } },
  },
  async (request, ctx, { body }) => {
    const name = queueOf(request)
    if (body.confirm !== name) {
      const problem = `must be the queue's name, ${name}, to purge it`
      throw new HttpError('VALIDATION_FAILED', `Invalid purge: confirm ${problem}`, {
        details: [{ path: 'confirm', message: problem }],
      })
    }
    return ctx.db.send('queues.purge', { name })
  }
)
