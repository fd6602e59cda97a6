import { queueBrowseQuery } from '../../../api/index.ts'
import { defineHandler } from '../../../runtime/index.ts'
import { queueOf } from '../../_shared/queues.ts'

/**
 * The first messages a receive would get, looked at only: nothing is delivered, hidden or
 * counted (a dead-letter queue can be read this way and stay as it is). A queue kept to granted
 * users is read by those granted consume, and admins.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'The first messages of a queue, looked at without taking them',
    query: queueBrowseQuery,
    example: { query: { limit: '20' } },
  },
  async (request, ctx, { query }) =>
    ctx.db.send('queues.browse', { queue: queueOf(request), limit: query.limit })
)
