import { grantsQuery } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/** Who may use which queue or topic, for those kept to some users. */
export default defineHandler(
  { access: 'admin', summary: 'The grants on queues and topics', query: grantsQuery },
  async (_request, ctx, { query }) => ctx.db.send('grants.list', query)
)
