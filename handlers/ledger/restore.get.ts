import type { RestoreReport } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/**
 * What the restore that rebuilt this node restored: to which ledger row, from which peer's
 * replica, what every peer held, who last saw the warehouse caught up, and what may be lost.
 * 404 when the node was never restored.
 */
export default defineHandler(
  { access: 'viewer', summary: 'What the restore that rebuilt this node restored' },
  async (_request, ctx): Promise<RestoreReport> =>
    (await ctx.db.send('ledger.restoreReport', {})) as RestoreReport
)
