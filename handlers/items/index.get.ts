import { defineHandler, readQuery, z } from '../../runtime/index.ts'
import { paging, text } from '../_shared/schemas.ts'

const query = z.strictObject({ search: text(100).optional(), ...paging })

/** The catalogue, in SKU order, optionally narrowed to items whose SKU, name or description match. */
export default defineHandler(async (request, ctx) => {
  const { search, limit, cursor } = readQuery(request, query)
  return ctx.db.send('items.list', { search: search || undefined, limit, cursor })
})
