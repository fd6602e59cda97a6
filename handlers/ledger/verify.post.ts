import type { LedgerCheck } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'
import { verifyLedger } from '../_shared/verify-ledger.ts'

/**
 * Replays the whole ledger against the hash chain, the head anchor and every balance, and reports
 * each difference. It runs in small steps, so the node keeps serving meanwhile.
 */
export default defineHandler({ access: 'public' }, async (_request, ctx): Promise<LedgerCheck> =>
  verifyLedger(ctx)
)
