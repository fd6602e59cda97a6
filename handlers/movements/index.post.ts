import { created, defineHandler, readJson, z } from '../../runtime/index.ts'
import { count, quantity, sku, text } from '../_shared/schemas.ts'

const common = { sku, reference: text(100).optional(), note: text(1000).optional() }
const delta = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(-1_000_000_000, { error: 'must be at least -1,000,000,000' })
  .max(1_000_000_000, { error: 'must be at most 1,000,000,000' })
  .refine((n) => n !== 0, { error: 'must not be zero' })

const exactlyOne = {
  countedQuantity: 'is required unless delta is given: send what was counted or the signed change',
  delta: 'cannot be given with countedQuantity: send what was counted or the signed change',
}

// The transform keeps exactly one of the two fields, so its output is a MovementInput, uncast.
const adjustment = z
  .strictObject({
    type: z.literal('adjustment'),
    countedQuantity: count.optional(),
    delta: delta.optional(),
    ...common,
  })
  .transform(({ countedQuantity, delta, ...rest }, ctx) => {
    if (delta === undefined && countedQuantity !== undefined) return { ...rest, countedQuantity }
    if (countedQuantity === undefined && delta !== undefined) return { ...rest, delta }
    const path = delta === undefined ? 'countedQuantity' : 'delta'
    ctx.issues.push({ code: 'custom', input: delta, path: [path], message: exactlyOne[path] })
    return z.NEVER
  })

const body = z.discriminatedUnion(
  'type',
  [z.strictObject({ type: z.literal(['receipt', 'issue']), quantity, ...common }), adjustment],
  {
    error: (iss) =>
      iss.code === 'invalid_union'
        ? 'must be receipt, issue or adjustment'
        : 'must be a JSON object',
  }
)

/** Records a receipt, an issue or an adjustment; an issue beyond what is on hand is refused. */
export default defineHandler(async (request, ctx) => {
  const movement = await ctx.db.send('movements.record', await readJson(request, body))
  return created(movement, `/movements?sku=${encodeURIComponent(movement.sku)}`)
})
