import type { LedgerCheck } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'
import { gone, verifyLedger } from '../_shared/verify-ledger.ts'

/**
 * Replays the whole ledger against the hash chain, the head anchor and every balance, and reports
 * each difference; then compares it with what the alive peers hold of it (its witnesses), which a
 * ledger edited and re-hashed, or cut short, on this node's disk cannot fool. It runs in small
 * steps, so the node keeps serving meanwhile. No peer to ask is said, and is not a failure; nor
 * is a disagreement an admin accepted, said with when and why.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Checks the ledger: hash chain, balances, and what peers hold of it',
  },
  async (request, ctx): Promise<LedgerCheck> => {
    const check = await verifyLedger(ctx, request.signal)
    // Gone while a verify it joined went on for another request: no peer is asked for it.
    if (request.signal.aborted) throw gone()
    const witnesses = await ctx.replication.witness({
      head: check.head,
      hashes: async (seqs) => (await ctx.db.send('ledger.hashes', { seqs })).hashes,
    })
    const differs = witnesses.witnesses.filter((w) => w.verdict === 'differs')
    // A disagreement an admin accepted (a rollback on purpose) is said as such, and fails nothing.
    if (differs.length > 0) {
      const disagreements = differs.map((w) => ({
        peer: w.peer.id,
        holds: w.holds ?? { seq: 0, hash: '' },
        differsFrom: w.differsFrom,
      }))
      const { accepted } = await ctx.db.send('ledger.acceptedWitnesses', { disagreements })
      differs.forEach((w, i) => {
        const acceptance = accepted[i]
        if (acceptance) w.accepted = acceptance
      })
    }
    const differing = differs.filter((w) => !w.accepted)
    const accepted = differs.length - differing.length
    if (accepted > 0) {
      const those = accepted === differs.length ? 'each of them' : `${accepted} of them`
      witnesses.summary = `${witnesses.summary}; an admin accepted ${those} (see accepted)`
    }
    return {
      ...check,
      ok: check.ok && differing.length === 0,
      differences: [
        ...check.differences,
        ...differing.map((w) => ({
          kind: 'witness' as const,
          ...(w.differsFrom !== null && { seq: w.differsFrom }),
          message: w.message,
        })),
      ],
      witnesses,
    }
  }
)
