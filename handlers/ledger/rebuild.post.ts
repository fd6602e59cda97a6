import type { LedgerRebuild } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'
import { verifyLedger } from '../_shared/verify-ledger.ts'

/**
 * Recomputes every balance from the ledger and reports the ones that changed; refused (409
 * LEDGER_BROKEN) when the hash chain itself is broken. The worker builds on the verify run first,
 * in steps, so the rebuild itself holds it only for the rows appended since and the balances.
 */
export default defineHandler(
  { access: 'admin', summary: 'Recomputes every balance from the ledger' },
  async (_request, ctx): Promise<LedgerRebuild> => {
    await verifyLedger(ctx)
    return ctx.db.send('ledger.rebuild', {}, { timeoutMs: 120_000 })
  }
)
