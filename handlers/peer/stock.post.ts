import {
  defineHandler,
  MAX_FIGURES,
  readJson,
  stockAsk,
  type StockAnswer,
} from '../../runtime/index.ts'
import { signer } from '../_shared/peer.ts'

/**
 * Another warehouse asks for this one's live figures, for a company-wide answer: the items asked
 * (or all, or the low ones) and the ledger head they project, read together. The caller's
 * remaining deadline bounds the wait for the database: past it, nobody is listening.
 */
export default defineHandler({ access: 'peer' }, async (request, ctx): Promise<StockAnswer> => {
  signer(ctx)
  const { skus, low, deadlineMs } = await readJson(request, stockAsk)
  const read = await ctx.db.send(
    'stock.figures',
    { skus, low, limit: MAX_FIGURES },
    deadlineMs === undefined ? undefined : { timeoutMs: deadlineMs }
  )
  return { node: { id: ctx.node.id, name: ctx.node.name }, at: new Date().toISOString(), ...read }
})
