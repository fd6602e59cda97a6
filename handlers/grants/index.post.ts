import { grantInput } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/**
 * Says what one user may do with a queue or a topic: publish, consume, manage (purge, delete).
 * The first grant keeps it to the users granted (and admins); without grants the roles decide.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Grants a user publish, consume or manage on a queue or topic',
    body: grantInput,
    example: {
      body: { kind: 'queue', name: 'orders', user: 'erp', publish: false, consume: true },
    },
  },
  async (_request, ctx, { body }) => ctx.db.send('grants.set', body)
)
