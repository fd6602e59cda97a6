// The ledger: POST /movements records a receipt, an issue or an adjustment; GET /movements lists.
import { z } from 'zod'
import { count, delta, idempotencyKey, paging, quantity, sku, text, type Page } from './fields.ts'

export const MOVEMENT_TYPES = ['receipt', 'issue', 'adjustment'] as const
export type MovementType = (typeof MOVEMENT_TYPES)[number]
/** What the ledger's rows may be: the movements posted here, and a transfer's (never posted here). */
export const LEDGER_TYPES = [
  ...MOVEMENT_TYPES,
  'transfer_out',
  'transfer_in',
  'transfer_return',
  'transfer_writeoff',
] as const
export type LedgerType = (typeof LEDGER_TYPES)[number]
/**
 * What GET /movements filters by: a ledger type, or `count` (the adjustments made by a count, as
 * the clients name them; `adjustment` lists every adjustment, counts included).
 */
export const MOVEMENT_FILTER_TYPES = [...LEDGER_TYPES, 'count'] as const

const common = { sku, reference: text(100).optional(), note: text(1000).optional() }

const exactlyOne = {
  countedQuantity: 'is required unless delta is given: send what was counted or the signed change',
  delta: 'cannot be given with countedQuantity: send what was counted or the signed change',
}

const adjustmentFields = {
  type: z.literal('adjustment'),
  countedQuantity: count.optional(),
  delta: delta.optional(),
  ...common,
}

/** An adjustment keeps exactly one of countedQuantity and delta: its output says which, uncast. */
function keepOne<T extends { countedQuantity?: number; delta?: number }>(
  { countedQuantity, delta, ...rest }: T,
  ctx: z.core.$RefinementCtx<T>
): Omit<T, 'countedQuantity' | 'delta'> & ({ countedQuantity: number } | { delta: number }) {
  if (delta === undefined && countedQuantity !== undefined) return { ...rest, countedQuantity }
  if (countedQuantity === undefined && delta !== undefined) return { ...rest, delta }
  const path = delta === undefined ? 'countedQuantity' : 'delta'
  ctx.issues.push({ code: 'custom', input: delta, path: [path], message: exactlyOne[path] })
  return z.NEVER
}

/** A movement's two forms, told apart by `type`. */
function byType<A extends z.core.$ZodTypeDiscriminable, B extends z.core.$ZodTypeDiscriminable>(
  moves: A,
  adjustment: B
) {
  return z.discriminatedUnion('type', [moves, adjustment], {
    error: (iss) =>
      iss.code === 'invalid_union'
        ? 'must be receipt, issue or adjustment'
        : 'must be a JSON object',
  })
}

const moves = { type: z.literal(['receipt', 'issue']), quantity, ...common }

/** POST /movements: a receipt or issue moves `quantity`; an adjustment sets a count or applies a delta. */
export const movementInput = byType(
  z.strictObject(moves),
  z.strictObject(adjustmentFields).transform(keepOne)
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
    type: z
      .enum(MOVEMENT_FILTER_TYPES, { error: `must be one of ${MOVEMENT_FILTER_TYPES.join(', ')}` })
      .optional(),
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
  type: LedgerType
  sku: string
  quantity: number
  delta: number
  countedQuantity: number | null
  /** A transfer's rows: the transfer and the other warehouse's node id (null in other rows). */
  transferId?: string | null
  counterparty?: string | null
  balanceAfter: number
  reference: string
  note: string
  createdAt: string
  /** The hash of the row before, and of this one: loss or tampering shows in the chain. */
  prevHash: string
  hash: string
  /**
   * Who made it, covered by the hash: the user whose token the request carried, `peer:<node id>`
   * for a row a peer's message made, `system` for the node's own; null on rows from before.
   */
  actor?: string | null
  /** For an actor `peer:<node id>` this node knows: that warehouse's name (not hashed; REST only). */
  actorName?: string
}

export type MovementPage = Page<'movements', Movement>

/** Lines in one POST /movements/batch at most. */
export const MAX_BATCH_LINES = 1000

/**
 * POST /movements/batch: movements as POST /movements takes them, each with the idempotency key
 * it would have carried: a line sent again (in this batch or another) answers its first outcome.
 */
export const movementBatch = z.strictObject({
  lines: z
    .array(
      byType(
        z.strictObject({ key: idempotencyKey, ...moves }),
        z.strictObject({ key: idempotencyKey, ...adjustmentFields }).transform(keepOne)
      ),
      { error: 'must be a list of movements' }
    )
    .min(1, { error: 'must have at least one line' })
    .max(MAX_BATCH_LINES, { error: `must have at most ${MAX_BATCH_LINES} lines` }),
})

/** One line's answer: the status POST /movements would have given, and its movement or refusal. */
export type BatchAnswer = { line: number; key: string; status: number; replayed: boolean } & (
  { movement: Movement } | { code: string; error: string; details?: unknown }
)

/** What POST /movements/batch answers: one answer per line, in order. */
export interface BatchResult {
  applied: number
  /** Lines refused (4xx): not recorded. */
  refused: number
  /** Lines the node could not settle (5xx): recorded or not, send them again with their keys. */
  retry: number
  answers: BatchAnswer[]
}
