import { itemInput, type Item } from '../../api/index.ts'
import { created, defineHandler, readJson } from '../../runtime/index.ts'

/** Adds an item to the catalogue; its stock starts at zero. */
export default defineHandler({ access: 'public' }, async (request, ctx) => {
  const item = await ctx.db.send('items.create', await readJson(request, itemInput))
  return created<Item>(item, `/items/${encodeURIComponent(item.sku)}`)
})
