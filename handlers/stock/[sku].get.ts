import { sku, type Stock } from '../../api/index.ts'
import { defineHandler, validate } from '../../runtime/index.ts'

export default defineHandler(
  { access: 'viewer', summary: 'On hand of one item in this warehouse' },
  async (request, ctx): Promise<Stock> => {
    return ctx.db.send('stock.get', { sku: validate(sku, request.params.sku, 'SKU in the path') })
  }
)
