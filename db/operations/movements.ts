import type { Knex } from 'knex'
import type * as C from '../contract.ts'
import { DomainError, itemNotFound } from '../domain-error.ts'
import { GENESIS_HASH, hashMovement } from '../ledger-hash.ts'
import { decodeCursor, page } from '../paging.ts'
import { withSql } from '../sql.ts'
import { warehouseName } from './node.ts'

/** The signed change a movement makes to on hand, given what is on hand now. */
export function deltaOf(input: C.MovementInput, onHand: number) {
  if (input.type !== 'adjustment') {
    return { delta: input.type === 'receipt' ? input.quantity : -input.quantity, counted: null }
  }
  if ('countedQuantity' in input) {
    return { delta: input.countedQuantity - onHand, counted: input.countedQuantity }
  }
  return { delta: input.delta, counted: null }
}

export async function insufficient(
  trx: Knex,
  input: C.MovementInput,
  onHand: number,
  delta: number,
  unit: string
) {
  const warehouse = await warehouseName(trx)
  const requested = -delta
  const shortfall = requested - onHand
  const what =
    input.type === 'issue'
      ? `issue ${requested} ${unit} of ${input.sku}`
      : `adjust ${input.sku} by ${delta} ${unit}`
  return new DomainError(
    'INSUFFICIENT_STOCK',
    `Cannot ${what} in ${warehouse}: only ${onHand} ${unit} on hand, short by ${shortfall}`,
    { sku: input.sku, warehouse, onHand, requested, shortfall }
  )
}

export interface LedgerHead {
  seq: number
  hash: string
}

/** The head of a ledger with no movements yet. */
export const EMPTY_LEDGER: LedgerHead = { seq: 0, hash: GENESIS_HASH }

/** The ledger row that follows `head`: the next seq, chained to its hash. */
export function nextMovement(
  head: LedgerHead,
  input: C.MovementInput,
  { delta, counted }: { delta: number; counted: number | null },
  balanceAfter: number
): C.Movement {
  const row = {
    seq: head.seq + 1,
    type: input.type,
    sku: input.sku,
    quantity: Math.abs(delta),
    delta,
    countedQuantity: counted,
    balanceAfter,
    reference: input.reference ?? '',
    note: input.note ?? '',
    createdAt: new Date().toISOString(),
    prevHash: head.hash,
  }
  return { ...row, hash: hashMovement(row) }
}

/** Appends one movement to the ledger and moves the balance with it, in the caller's transaction. */
export async function record(trx: Knex, input: C.MovementInput): Promise<C.Movement> {
  const current: { onHand: number; unit: string } | undefined = await trx('items')
    .join('balances', 'balances.sku', 'items.sku')
    .where('items.sku', input.sku)
    .first('balances.onHand', 'items.unit')
  if (!current) throw itemNotFound(input.sku)
  const { delta, counted } = deltaOf(input, current.onHand)
  const balanceAfter = current.onHand + delta
  if (balanceAfter < 0) throw await insufficient(trx, input, current.onHand, delta, current.unit)

  const head: LedgerHead | undefined = await trx('movements')
    .orderBy('seq', 'desc')
    .first('seq', 'hash')
  const movement = nextMovement(head ?? EMPTY_LEDGER, input, { delta, counted }, balanceAfter)
  await trx('movements').insert(movement)
  await trx('balances')
    .where({ sku: input.sku })
    .update({ onHand: balanceAfter, lastSeq: movement.seq, updatedAt: movement.createdAt })
  return movement
}

/** The ledger's columns under the names the API uses, in table order. */
export const MOVEMENT_COLUMNS = `seq, type, sku, quantity, delta, counted_quantity AS countedQuantity,
  balance_after AS balanceAfter, reference, note, created_at AS createdAt,
  prev_hash AS prevHash, hash`

/**
 * One page of the ledger. Hand-written SQL (see db/sql.ts): listing an item's movements is a hot
 * read, and through the query builder it cost several times what SQLite spends on it.
 */
export async function list(trx: Knex, filter: C.MovementFilter) {
  const order = filter.order === 'asc' ? 'ASC' : 'DESC'
  const where: string[] = []
  const params: unknown[] = []
  const add = (condition: string, value: unknown) => {
    where.push(condition)
    params.push(value)
  }
  if (filter.sku) add('sku = ?', filter.sku)
  if (filter.type) add('type = ?', filter.type)
  if (filter.from) add('created_at >= ?', filter.from)
  if (filter.to) add('created_at < ?', filter.to)
  if (filter.cursor) {
    add(order === 'DESC' ? 'seq < ?' : 'seq > ?', decodeCursor<number>(filter.cursor, 'number'))
  }
  const text = `SELECT ${MOVEMENT_COLUMNS} FROM movements
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${order} LIMIT ?`
  const rows = await withSql(trx, (sql) => sql.all<C.Movement>(text, [...params, filter.limit + 1]))
  const { rows: movements, nextCursor } = page(rows, filter.limit, (m) => m.seq)
  return { movements, nextCursor }
}
