import { itemInput, type Item } from '../../api/index.ts'
import { created, defineHandler } from '../../runtime/index.ts'

/** Adds an item to the catalogue; its stock starts at zero. */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Adds an item to the catalogue (201)',
    body: itemInput,
    example: { body: { sku: 'BOLT-M8', name: 'Bolt M8 zinc', unit: 'ea', reorderPoint: 50 } },
  },
  async (_request, ctx, { body }) => {
    const item = await ctx.db.send('items.create', body)
    return created<Item>(item, `/items/${encodeURIComponent(item.sku)}`)
  }
)
