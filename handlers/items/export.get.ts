import { exportQuery, ITEM_COLUMNS, type Item } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'
import { exportList } from '../_shared/export.ts'

/** The whole catalogue as CSV (the columns an import takes) or JSON, in SKU order. */
export default defineHandler(
  {
    access: 'viewer',
    summary: 'The whole catalogue as CSV (as POST /items/import takes it) or JSON',
    query: exportQuery,
    example: { query: { format: 'csv' } },
  },
  async (request, ctx, { query: { format } }) =>
    exportList<Item>({
      format,
      name: 'items',
      columns: ITEM_COLUMNS,
      fields: (item) => ITEM_COLUMNS.map((column) => item[column] ?? ''),
      page: async (limit, cursor) => {
        const { items, nextCursor } = await ctx.db.send('items.list', { limit, cursor })
        return { rows: items, nextCursor }
      },
      signal: request.signal,
      cutOff: ctx.cutOff,
    })
)
