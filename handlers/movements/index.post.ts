import { movementInput, type Movement } from '../../api/index.ts'
import { created, defineHandler } from '../../runtime/index.ts'

/** Records a receipt, an issue or an adjustment; an issue beyond what is on hand is refused. */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Records a receipt, an issue or an adjustment (201)',
    body: movementInput,
    example: { body: { type: 'receipt', sku: 'BOLT-M8', quantity: 200, reference: 'PO-17' } },
  },
  async (_request, ctx, { body }) => {
    const movement = await ctx.db.send('movements.record', body)
    return created<Movement>(movement, `/movements?sku=${encodeURIComponent(movement.sku)}`)
  }
)
