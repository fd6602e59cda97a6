import { adoptInput, sku, type Adopted } from '../../../api/index.ts'
import { created, defineHandler, readJson, validate } from '../../../runtime/index.ts'

/**
 * Takes a peer's definition of a SKU (as replicated here) into this node's own catalogue: 201.
 * Already here with the same definition: 200, nothing changed. Here with another: 409 naming the
 * fields that differ; the own definition stays.
 */
export default defineHandler({ access: 'public' }, async (request, ctx) => {
  const target = validate(sku, request.params.sku, 'SKU in the path')
  const { from } = await readJson(request, adoptInput)
  const result: Adopted = await ctx.db.send('items.adopt', { sku: target, from })
  if (!result.adopted) return result
  return created<Adopted>(result, `/items/${encodeURIComponent(result.item.sku)}`)
})
