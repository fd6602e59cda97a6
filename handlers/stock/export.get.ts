import { exportQuery, type Stock } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'
import { exportList } from '../_shared/export.ts'

const COLUMNS = ['sku', 'name', 'unit', 'onHand', 'inTransit', 'reorderPoint', 'low'] as const

/** On hand for every item as CSV or JSON, in SKU order. */
export default defineHandler(
  {
    access: 'viewer',
    summary: 'On hand for every item as CSV or JSON, in SKU order',
    query: exportQuery,
    example: { query: { format: 'json' } },
  },
  async (request, ctx, { query: { format } }) =>
    exportList<Stock>({
      format,
      name: 'stock',
      columns: COLUMNS,
      fields: (row) => COLUMNS.map((column) => row[column] ?? ''),
      page: async (limit, cursor) => {
        const { stock, nextCursor } = await ctx.db.send('stock.list', { limit, cursor })
        return { rows: stock, nextCursor }
      },
      signal: request.signal,
      cutOff: ctx.cutOff,
    })
)
