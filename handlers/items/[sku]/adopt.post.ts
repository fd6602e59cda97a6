import { adoptInput, sku, type Adopted } from '../../../api/index.ts'
import { created, defineHandler, validate } from '../../../runtime/index.ts'

/**
 * Takes a peer's definition of a SKU (as replicated here) into this node's own catalogue: 201.
 * Already here with the same definition: 200, nothing changed. Here with another: 409 naming the
 * fields that differ; the own definition stays.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: "Takes a peer's definition of a SKU into this node's catalogue",
    body: adoptInput,
    example: { params: { sku: 'BOLT-M8' }, body: { from: '6f1c2a5e-7d7b-4f0e-9a43-2b8f1e0c9d11' } },
  },
  async (request, ctx, { body: { from } }) => {
    const target = validate(sku, request.params.sku, 'SKU in the path')
    const result: Adopted = await ctx.db.send('items.adopt', { sku: target, from })
    if (!result.adopted) return result
    return created<Adopted>(result, `/items/${encodeURIComponent(result.item.sku)}`)
  }
)
