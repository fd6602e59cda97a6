import { stockQuery, type StockPage } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/** On hand for every item, in SKU order; `low=true` keeps those at or below their reorder point. */
export default defineHandler(
  {
    access: 'viewer',
    summary: 'On hand for every item, in SKU order (low=true: at or below the reorder point)',
    query: stockQuery,
    example: { query: { low: 'true', limit: '100' } },
  },
  async (_request, ctx, { query: { low, limit, cursor } }): Promise<StockPage> => {
    return ctx.db.send('stock.list', { low: low === 'true', limit, cursor })
  }
)
