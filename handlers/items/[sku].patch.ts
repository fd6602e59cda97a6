import { defineHandler, readJson, validate, z } from '../../runtime/index.ts'
import { reorderPoint, requiredText, sku, text } from '../_shared/schemas.ts'

const body = z
  .strictObject({
    name: requiredText(200).optional(),
    unit: requiredText(20).optional(),
    description: text(2000).optional(),
    reorderPoint: reorderPoint.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, {
    error: 'must change at least one of name, unit, description, reorderPoint',
  })

/** Changes an item's name, unit (only before its first movement), description or reorder point. */
export default defineHandler(async (request, ctx) => {
  const target = validate(sku, request.params.sku, 'SKU in the path')
  return ctx.db.send('items.update', { sku: target, patch: await readJson(request, body) })
})
