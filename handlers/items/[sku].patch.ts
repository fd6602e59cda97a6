import { itemPatch, sku, type Item } from '../../api/index.ts'
import { defineHandler, readJson, validate } from '../../runtime/index.ts'

/** Changes an item's name, unit (only before its first movement), description or reorder point. */
export default defineHandler({ access: 'public' }, async (request, ctx): Promise<Item> => {
  const target = validate(sku, request.params.sku, 'SKU in the path')
  return ctx.db.send('items.update', { sku: target, patch: await readJson(request, itemPatch) })
})
