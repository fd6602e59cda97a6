import { defineHandler, readQuery, z } from '../../runtime/index.ts'
import { paging } from '../_shared/schemas.ts'

const query = z.strictObject({
  low: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  ...paging,
})

/** On hand for every item, in SKU order; `low=true` keeps those at or below their reorder point. */
export default defineHandler(async (request, ctx) => {
  const { low, limit, cursor } = readQuery(request, query)
  return ctx.db.send('stock.list', { low: low === 'true', limit, cursor })
})
