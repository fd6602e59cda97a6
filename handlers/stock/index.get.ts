import { stockQuery, type StockPage } from '../../api/index.ts'
import { defineHandler, readQuery } from '../../runtime/index.ts'

/** On hand for every item, in SKU order; `low=true` keeps those at or below their reorder point. */
export default defineHandler({ access: 'public' }, async (request, ctx): Promise<StockPage> => {
  const { low, limit, cursor } = readQuery(request, stockQuery)
  return ctx.db.send('stock.list', { low: low === 'true', limit, cursor })
})
