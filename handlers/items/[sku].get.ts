import { defineHandler, validate } from '../../runtime/index.ts'
import { sku } from '../_shared/schemas.ts'

export default defineHandler(async (request, ctx) => {
  return ctx.db.send('items.get', { sku: validate(sku, request.params.sku, 'SKU in the path') })
})
