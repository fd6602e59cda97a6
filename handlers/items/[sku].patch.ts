import { itemPatch, sku, type Item } from '../../api/index.ts'
import { defineHandler, validate } from '../../runtime/index.ts'

/** Changes an item's name, unit (only before its first movement), description or reorder point. */
export default defineHandler(
  {
    access: 'admin',
    summary: "Changes an item's name, unit, description or reorder point",
    body: itemPatch,
    example: { params: { sku: 'BOLT-M8' }, body: { reorderPoint: 80 } },
  },
  async (request, ctx, { body }): Promise<Item> => {
    const target = validate(sku, request.params.sku, 'SKU in the path')
    return ctx.db.send('items.update', { sku: target, patch: body })
  }
)
