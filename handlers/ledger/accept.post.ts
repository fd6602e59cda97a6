import { acceptInput, type LedgerAcceptance } from '../../api/index.ts'
import { defineHandler, readJson } from '../../runtime/index.ts'

/**
 * An admin accepts the ledger as it stands, after finding out why it did not check out: its head
 * anchor moves to the last movement, balances are set from it, a halt on writes is lifted. The
 * acceptance is recorded with its reason, and logged.
 */
export default defineHandler(
  { access: 'public' },
  async (request, ctx): Promise<LedgerAcceptance> => {
    const { reason } = await readJson(request, acceptInput)
    const accepted = await ctx.db.send('ledger.accept', { reason }, { timeoutMs: 120_000 })
    ctx.log.warn(accepted, 'the ledger was accepted as it stands')
    return accepted
  }
)
