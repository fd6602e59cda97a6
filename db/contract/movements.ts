import { z } from 'zod'
import type { KindName } from '../ledger/kinds.ts'
import { pageRequest, read, write } from './descriptor.ts'

/** receipt, issue, adjustment: one per entry of the ledger's table of kinds (db/ledger/kinds.ts). */
export type MovementType = KindName

/**
 * One row of the append-only ledger. `delta` is the signed change to on hand. A field that only
 * some kinds carry (`countedQuantity`: an adjustment's count) is null in the others' rows.
 */
export interface Movement {
  seq: number
  type: MovementType
  sku: string
  quantity: number
  delta: number
  countedQuantity: number | null
  /** A transfer's rows (transfer_out, _in, _return, _writeoff): the transfer and the other warehouse. */
  transferId?: string | null
  counterparty?: string | null
  balanceAfter: number
  reference: string
  note: string
  createdAt: string
  prevHash: string
  hash: string
  /**
   * Who made it: a user's name, `peer:<node id>` for a peer's message, `system` for the node
   * itself; null on rows from before it was recorded (and from peers that do not send it).
   */
  actor?: string | null
}

const common = { sku: z.string(), reference: z.string().optional(), note: z.string().optional() }
const whole = z.number().int()

/** A receipt or issue moves `quantity`; an adjustment sets a counted quantity or applies a delta. */
const movementInput = z.union([
  z.strictObject({ type: z.enum(['receipt', 'issue']), quantity: whole.positive(), ...common }),
  z.strictObject({ type: z.literal('adjustment'), countedQuantity: whole.min(0), ...common }),
  z.strictObject({ type: z.literal('adjustment'), delta: whole, ...common }),
])
export type MovementInput = z.infer<typeof movementInput>

export const movementFilter = z.strictObject({
  ...pageRequest,
  sku: z.string().optional(),
  // Any text: a kind added later is a filter like the others, and this payload never changes.
  type: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  order: z.enum(['asc', 'desc']).optional(),
})
export type MovementFilter = z.infer<typeof movementFilter>

export const movementOps = {
  'movements.record': write(movementInput).returns<Movement>(),
  'movements.list': read(movementFilter).returns<{
    movements: Movement[]
    nextCursor: string | null
  }>(),
}
