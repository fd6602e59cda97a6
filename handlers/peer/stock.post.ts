import { defineHandler, MAX_FIGURES, stockAsk, type StockAnswer } from '../../runtime/index.ts'
import { haltedHere } from '../_shared/network-stock.ts'
import { signer } from '../_shared/peer.ts'

/**
 * Another warehouse asks for this one's live figures, for a company-wide answer: the items asked
 * (or all, or the low ones) and the ledger head they project, read together. The caller's
 * remaining deadline bounds the wait for the database: past it, nobody is listening.
 */
export default defineHandler(
  {
    access: 'peer',
    summary: "This warehouse's live figures, for a company-wide answer",
    body: stockAsk,
    example: { body: { skus: ['BOLT-M8', 'NUT-M8'], deadlineMs: 1500 } },
  },
  async (_request, ctx, { body: { skus, low, deadlineMs } }): Promise<StockAnswer> => {
    signer(ctx)
    const bounded = deadlineMs === undefined ? undefined : { timeoutMs: deadlineMs }
    // Its figures, and whether its ledger is halted (a check found it wrong): told beside them.
    const [read, halted] = await Promise.all([
      ctx.db.send('stock.figures', { skus, low, limit: MAX_FIGURES }, bounded),
      haltedHere(ctx, bounded),
    ])
    return {
      node: { id: ctx.node.id, name: ctx.node.name },
      at: new Date().toISOString(),
      ...read,
      halted,
    }
  }
)
