import type { MovementInput } from '../../db/contract.ts'
import { created, defineHandler, readJson, z } from '../../runtime/index.ts'
import { count, quantity, sku, text } from '../_shared/schemas.ts'

const common = { sku, reference: text(100).optional(), note: text(1000).optional() }
const delta = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .refine((n) => n !== 0 && Math.abs(n) <= 1_000_000_000, { error: 'must be a non-zero whole number' })

const body = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal(['receipt', 'issue']), quantity, ...common }),
    z
      .strictObject({ type: z.literal('adjustment'), countedQuantity: count.optional(), delta: delta.optional(), ...common })
      .refine((a) => (a.countedQuantity === undefined) !== (a.delta === undefined), {
        error: 'an adjustment needs exactly one of countedQuantity (what was counted) or delta (the signed change)',
      }),
  ],
  { error: 'must be receipt, issue or adjustment' }
)

/** Records a receipt, an issue or an adjustment; an issue beyond what is on hand is refused. */
export default defineHandler(async (request, ctx) => {
  const movement = await ctx.db.send('movements.record', (await readJson(request, body)) as MovementInput)
  return created(movement, `/movements?sku=${encodeURIComponent(movement.sku)}`)
})
