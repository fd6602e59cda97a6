// The posting rule, as a pure function: given the state a movement needs (the ledger's head, the
// stock of its item, the warehouse's name), the new ledger row and balance, or the refusal. No
// I/O: record.ts loads the state and writes what was decided, for one movement or a run of them.
import type { Movement, MovementInput } from '../contract/index.ts'
import { DomainError, itemNotFound } from '../domain-error.ts'
import { hashMovement, type LedgerHead } from './hash.ts'
import {
  carriedFields,
  KINDS,
  projected,
  type KindInput,
  type Kinds,
  type MovementKind,
} from './kinds.ts'

/** The actor of a row the node makes with nobody's request behind it. */
export const SYSTEM = 'system'

/** What posting needs to know, loaded before a run and moved along by `advance`. */
export interface PostingState {
  head: LedgerHead
  /** Each item involved, by SKU; an item missing here is not in the catalogue. */
  stock: Map<string, { onHand: number; unit: string; sent?: number; received?: number }>
  /** The warehouse's name, for the refusal's sentence. */
  warehouse: string
}

/** An item's balance after a movement. */
export interface BalanceChange {
  sku: string
  onHand: number
  sent: number
  received: number
  lastSeq: number
  updatedAt: string
}

export type Posting =
  { ok: true; movement: Movement; balance: BalanceChange } | { ok: false; refusal: DomainError }

/**
 * The most one item's on hand may reach: far beyond any warehouse (a movement is at most
 * 1,000,000,000), and well within the integers JavaScript and SQLite hold exactly (2^53), even
 * summed over a company's warehouses. Receipts of a billion each, repeated, reached 2e13 unrefused.
 */
export const MAX_ON_HAND = 1_000_000_000_000

/**
 * Why a movement that would take on hand to `onHand + delta` is refused, or null when it is not:
 * below zero (the shortfall), or up beyond MAX_ON_HAND. One that takes on hand down is never
 * refused for the bound: an item held beyond it (from before the bound) can still be issued.
 */
function outOfBounds(
  kind: MovementKind<KindInput>,
  input: KindInput,
  { onHand, unit }: { onHand: number; unit: string },
  delta: number,
  warehouse: string
): DomainError | null {
  const after = onHand + delta
  if (after >= 0 && (after <= MAX_ON_HAND || delta <= 0)) return null
  const what = `Cannot ${kind.attempt({ input, unit, delta })} in ${warehouse}`
  if (after < 0) {
    const requested = -delta
    const shortfall = requested - onHand
    return new DomainError(
      'INSUFFICIENT_STOCK',
      `${what}: only ${onHand} ${unit} on hand, short by ${shortfall}`,
      { sku: input.sku, warehouse, onHand, requested, shortfall }
    )
  }
  const limit = MAX_ON_HAND.toLocaleString('en')
  return new DomainError(
    'VALIDATION_FAILED',
    `${what}: on hand would be ${after} ${unit}, more than the ${limit} one item may hold; check the quantity`,
    [{ path: 'quantity', message: `would take on hand beyond ${limit}` }]
  )
}

/**
 * Posts `input` on `state` at time `at`: the row that follows the head (the next seq, chained to
 * its hash) and the item's new balance, or a refusal (an unknown item; stock that would go below
 * zero, or beyond MAX_ON_HAND). `state` is not changed: `advance` moves it past an accepted posting.
 */
export function post<I extends KindInput = MovementInput>(
  state: PostingState,
  input: I,
  at: string,
  kinds: Kinds = KINDS
): Posting {
  const kind = kinds[input.type] as MovementKind<KindInput> | undefined
  if (!kind) throw new Error(`No movement kind ${input.type}`) // the contract admits none such
  const current = state.stock.get(input.sku)
  if (!current) return { ok: false, refusal: itemNotFound(input.sku) }
  const delta = kind.delta(input, current.onHand)
  const balanceAfter = current.onHand + delta
  const refusal = outOfBounds(kind, input, current, delta, state.warehouse)
  if (refusal) return { ok: false, refusal }
  // The fields kinds carry, in the table's order: countedQuantity among the common ones (it came
  // first), the others after the hash.
  const carried: Record<string, unknown> = {}
  for (const field of carriedFields(kinds)) {
    carried[field] = kind.carries?.[field]?.(input, current.onHand) ?? null
  }
  const { countedQuantity = null, ...own } = carried
  const common = {
    seq: state.head.seq + 1,
    type: input.type,
    sku: input.sku,
    quantity: kind.quantity?.(input, delta) ?? Math.abs(delta),
    delta,
    countedQuantity,
    balanceAfter,
    reference: input.reference ?? '',
    note: input.note ?? '',
    createdAt: at,
    prevHash: state.head.hash,
  }
  // null: a row as before actors were recorded (tests of older schemas); absent: the node's own.
  const actor = input.actor === undefined ? SYSTEM : input.actor
  const hash = hashMovement({ ...common, ...own, actor } as Omit<Movement, 'hash'>, kinds)
  const movement = { ...common, hash, ...own, actor } as Movement
  const balance = {
    sku: input.sku,
    onHand: balanceAfter,
    sent: (current.sent ?? 0) + projected('sent', common, kinds),
    received: (current.received ?? 0) + projected('received', common, kinds),
    lastSeq: common.seq,
    updatedAt: at,
  }
  return { ok: true, movement, balance }
}

/** Moves `state` past an accepted posting: the next one chains to it and sees its balance. */
export function advance(
  state: PostingState,
  { movement, balance }: { movement: Movement; balance?: BalanceChange }
): void {
  state.head = { seq: movement.seq, hash: movement.hash }
  const stock = state.stock.get(movement.sku)
  if (!stock) return
  stock.onHand = movement.balanceAfter
  stock.sent = balance?.sent ?? (stock.sent ?? 0) + projected('sent', movement)
  stock.received = balance?.received ?? (stock.received ?? 0) + projected('received', movement)
}
