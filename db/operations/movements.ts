import type { Knex } from 'knex'
import type * as C from '../contract/index.ts'
import { MOVEMENTS } from '../ledger/record.ts'
import { MOVEMENT_ROW } from '../ledger/row.ts'
import { OWN_LEDGER, type RowSource } from '../ledger/rows.ts'
import { decodeCursor, page } from '../paging.ts'
import { withSql } from '../sql.ts'
import { postingOperation } from './run.ts'

/**
 * Appends a movement to the ledger and moves its balance, in the caller's transaction; refused
 * (NOT_FOUND, INSUFFICIENT_STOCK) without writing. The batch records a run of them at once through
 * the same function (`record.run`), with the batch's other ledger writes: one movement is a run
 * of one.
 */
export const record = postingOperation<'movements.record'>(MOVEMENTS)

/**
 * One page of the ledger. Hand-written SQL (see db/sql.ts): listing an item's movements is a hot
 * read, and through the query builder it cost several times what SQLite spends on it.
 */
export function list(trx: Knex, filter: C.MovementFilter) {
  return listRows(trx, filter, OWN_LEDGER)
}

/** One page of a ledger, this node's own or a replica of a peer's (replicas.movements). */
export async function listRows(trx: Knex, filter: C.MovementFilter, source: RowSource) {
  const order = filter.order === 'asc' ? 'ASC' : 'DESC'
  const where: string[] = []
  const params: unknown[] = []
  const add = (condition: string, value: unknown) => {
    where.push(condition)
    params.push(value)
  }
  if (source.nodeId !== undefined) add('node_id = ?', source.nodeId)
  if (filter.sku) add('sku = ?', filter.sku)
  // A count is an adjustment made by counting: the clients show it, and filter it, as one.
  if (filter.type === 'count') where.push("type = 'adjustment' AND counted_quantity IS NOT NULL")
  else if (filter.type) add('type = ?', filter.type)
  if (filter.from) add('created_at >= ?', filter.from)
  if (filter.to) add('created_at < ?', filter.to)
  if (filter.cursor) {
    add(order === 'DESC' ? 'seq < ?' : 'seq > ?', decodeCursor<number>(filter.cursor, 'number'))
  }
  const text = `SELECT ${MOVEMENT_ROW.select} FROM ${source.table}
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${order} LIMIT ?`
  const rows = await withSql(trx, (sql) => sql.all<C.Movement>(text, [...params, filter.limit + 1]))
  const { rows: movements, nextCursor } = page(rows, filter.limit, (m) => m.seq)
  return { movements, nextCursor }
}
