import { acceptInput, type LedgerAcceptance } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/**
 * An admin accepts the ledger as it stands, after finding out why it did not check out: its head
 * anchor moves to the last movement, balances are set from it, a halt on writes is lifted. The
 * acceptance is recorded with its reason, and logged.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Accepts the ledger as it stands, lifting a halt on writes',
    body: acceptInput,
    example: { body: { reason: 'Row 1207 was restored from the nightly backup; checked by hand' } },
  },
  async (_request, ctx, { body: { reason } }): Promise<LedgerAcceptance> => {
    const accepted = await ctx.db.send('ledger.accept', { reason }, { timeoutMs: 120_000 })
    ctx.log.warn(accepted, 'the ledger was accepted as it stands')
    return accepted
  }
)
