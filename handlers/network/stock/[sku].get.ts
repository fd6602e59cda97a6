import { networkStockOneQuery, sku as skuSchema, type NetworkStockOne } from '../../../api/index.ts'
import { defineHandler, HttpError, validate } from '../../../runtime/index.ts'
import { gatherStock } from '../../_shared/network-stock.ts'

/**
 * Where is this SKU, and how much is there in total: every warehouse asked at once under
 * `deadlineMs`, each figure labelled live, replica (how old, and why) or missing.
 */
export default defineHandler(
  {
    access: 'viewer',
    summary: 'Where a SKU is, and how much in all: every warehouse asked under a deadline',
    query: networkStockOneQuery,
    example: { params: { sku: 'BOLT-M8' }, query: { deadlineMs: '1500' } },
  },
  async (request, ctx, { query: { deadlineMs } }): Promise<NetworkStockOne> => {
    const sku = validate(skuSchema, request.params.sku, 'SKU in the path')
    const { answer, stock } = await gatherStock(ctx, { skus: [sku] }, deadlineMs)
    const [found] = stock
    if (found) return { ...found, ...answer }
    // Absent everywhere that answered: a 404 only when every warehouse did.
    if (answer.complete) throw new HttpError('NOT_FOUND', `No warehouse has an item ${sku}`)
    const total = { onHand: 0, liveOnHand: 0, inTransit: 0, onHandPlusInTransit: 0, unit: null }
    return { sku, name: null, figures: [], total, byUnit: [], unitsDiffer: false, ...answer }
  }
)
