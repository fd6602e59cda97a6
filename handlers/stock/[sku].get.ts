import { defineHandler, validate } from '../../runtime/index.ts'
import { sku } from '../_shared/schemas.ts'

export default defineHandler(async (request, ctx) => {
  return ctx.db.send('stock.get', { sku: validate(sku, request.params.sku, 'SKU in the path') })
})
