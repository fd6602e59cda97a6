import { movementInput, type Movement } from '../../api/index.ts'
import { created, defineHandler, readJson } from '../../runtime/index.ts'

/** Records a receipt, an issue or an adjustment; an issue beyond what is on hand is refused. */
export default defineHandler({ access: 'public' }, async (request, ctx) => {
  const movement = await ctx.db.send('movements.record', await readJson(request, movementInput))
  return created<Movement>(movement, `/movements?sku=${encodeURIComponent(movement.sku)}`)
})
