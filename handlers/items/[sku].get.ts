import { sku, type Item } from '../../api/index.ts'
import { defineHandler, validate } from '../../runtime/index.ts'

export default defineHandler(
  { access: 'viewer', summary: 'One item of the catalogue' },
  async (request, ctx): Promise<Item> => {
    return ctx.db.send('items.get', { sku: validate(sku, request.params.sku, 'SKU in the path') })
  }
)
