import { created, defineHandler, readJson, z } from '../../runtime/index.ts'
import { reorderPoint, requiredText, sku, text } from '../_shared/schemas.ts'

const body = z.strictObject({
  sku,
  name: requiredText(200),
  unit: requiredText(20),
  description: text(2000).optional(),
  reorderPoint: reorderPoint.optional(),
})

/** Adds an item to the catalogue; its stock starts at zero. */
export default defineHandler(async (request, ctx) => {
  const item = await ctx.db.send('items.create', await readJson(request, body))
  return created(item, `/items/${encodeURIComponent(item.sku)}`)
})
