// The ledger: POST /movements records a receipt, an issue or an adjustment; GET /movements lists.
import { z } from 'zod'
import { count, delta, paging, quantity, sku, text, type Page } from './fields.ts'

export const MOVEMENT_TYPES = ['receipt', 'issue', 'adjustment'] as const
export type MovementType = (typeof MOVEMENT_TYPES)[number]

const common = { sku, reference: text(100).optional(), note: text(1000).optional() }

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

/** POST /movements: a receipt or issue moves `quantity`; an adjustment sets a count or applies a delta. */
export const movementInput = z.discriminatedUnion(
  'type',
  [z.strictObject({ type: z.literal(['receipt', 'issue']), quantity, ...common }), adjustment],
  {
    error: (iss) =>
      iss.code === 'invalid_union'
        ? 'must be receipt, issue or adjustment'
        : 'must be a JSON object',
  }
)
export type MovementInput = z.output<typeof movementInput>

// Only unambiguous instants: a date (UTC midnight) or a date-time with Z or an offset. Date.parse
// would also take "hello 1" (as 2001), roll 2026-02-30 into March, and read a time without a zone
// in the server's own zone.
const instant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'must be a date such as 2026-11-22 or a time with its zone such as 2026-11-22T10:00:00Z',
  })
  .transform((s) => new Date(s).toISOString())

/** GET /movements: newest first unless order=asc; by sku, type, and time (from inclusive, to exclusive). */
export const movementsQuery = z
  .strictObject({
    sku: sku.optional(),
    type: z.enum(MOVEMENT_TYPES, { error: 'must be receipt, issue or adjustment' }).optional(),
    from: instant.optional(),
    to: instant.optional(),
    order: z.enum(['asc', 'desc'], { error: 'must be asc or desc' }).optional(),
    ...paging,
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, {
    error: 'must not be later than to',
    path: ['from'],
  })

/** One row of the append-only ledger. `delta` is the signed change to on hand. */
export interface Movement {
  seq: number
  type: MovementType
  sku: string
  quantity: number
  delta: number
  countedQuantity: number | null
  balanceAfter: number
  reference: string
  note: string
  createdAt: string
  /** The hash of the row before, and of this one: loss or tampering shows in the chain. */
  prevHash: string
  hash: string
}

export type MovementPage = Page<'movements', Movement>
