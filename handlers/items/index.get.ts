import { itemsQuery, type ItemPage } from '../../api/index.ts'
import { defineHandler, readQuery } from '../../runtime/index.ts'

/** The catalogue, in SKU order, optionally narrowed to items whose SKU, name or description match. */
export default defineHandler({ access: 'public' }, async (request, ctx): Promise<ItemPage> => {
  const { search, limit, cursor } = readQuery(request, itemsQuery)
  return ctx.db.send('items.list', { search: search || undefined, limit, cursor })
})
