import { itemsQuery, type ItemPage } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/** The catalogue, in SKU order, optionally narrowed to items whose SKU, name or description match. */
export default defineHandler(
  {
    access: 'viewer',
    summary: 'The catalogue, in SKU order, optionally narrowed by a search',
    query: itemsQuery,
    example: { query: { search: 'bolt', limit: '20' } },
  },
  async (_request, ctx, { query: { search, limit, cursor } }): Promise<ItemPage> => {
    return ctx.db.send('items.list', { search: search || undefined, limit, cursor })
  }
)
