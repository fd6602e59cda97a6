import type { Knex } from 'knex'
import type * as C from '../contract/index.ts'
import { itemNotFound } from '../domain-error.ts'
import { EMPTY_LEDGER } from '../ledger/hash.ts'
import { refusalOf, type Outcome } from '../outcome.ts'
import { decodeCursor, page } from '../paging.ts'
import { withSql } from '../sql.ts'
import { runOperation } from './run.ts'

export interface StockRow {
  sku: string
  name: string
  unit: string
  reorderPoint: number | null
  onHand: number
  lastSeq: number | null
  updatedAt: string
}

function stockQuery(trx: Knex) {
  return trx('items')
    .join('balances', 'balances.sku', 'items.sku')
    .select(
      'items.sku',
      'items.name',
      'items.unit',
      'items.reorderPoint',
      'balances.onHand',
      'balances.lastSeq',
      'balances.updatedAt'
    )
}

/** Low only against a reorder point: an item without one is never low. */
export function toStock(row: StockRow): C.Stock {
  return { ...row, low: row.reorderPoint !== null && row.onHand <= row.reorderPoint }
}

/**
 * The stock of every item asked, in one statement (hand-written SQL, see db/sql.ts): all the stock
 * reads of a batch cost one trip to the database, a lone one too.
 */
async function getMany(db: Knex, asked: { sku: string }[]): Promise<Outcome<C.Stock>[]> {
  const skus = [...new Set(asked.map((a) => a.sku))]
  const rows = await withSql(db, (sql) =>
    sql.all<StockRow>(
      `SELECT i.sku AS sku, i.name AS name, i.unit AS unit, i.reorder_point AS reorderPoint,
         b.on_hand AS onHand, b.last_seq AS lastSeq, b.updated_at AS updatedAt
       FROM items i JOIN balances b ON b.sku = i.sku
       WHERE i.sku IN (SELECT value FROM json_each(?))`,
      [JSON.stringify(skus)]
    )
  )
  const bySku = new Map(rows.map((row) => [row.sku, toStock(row)]))
  return asked.map(({ sku }) => {
    const stock = bySku.get(sku)
    return stock ? { ok: true, data: stock } : refusalOf(itemNotFound(sku))
  })
}

export const get = runOperation<'stock.get'>(getMany)

export async function list(trx: Knex, query: C.PageRequest & { low?: boolean }) {
  const q = stockQuery(trx)
    .orderBy('items.sku')
    .limit(query.limit + 1)
  if (query.low) {
    q.whereNotNull('items.reorderPoint').whereRaw('balances.on_hand <= items.reorder_point')
  }
  if (query.cursor) q.where('items.sku', '>', decodeCursor<string>(query.cursor, 'string'))
  const { rows, nextCursor } = page<StockRow>(await q, query.limit, (row) => row.sku)
  return { stock: rows.map(toStock), nextCursor }
}

/**
 * What another warehouse is told of this one's stock: the figures and the ledger head they
 * project, read on one connection of the one worker, so no movement lands between the two reads.
 * The head is the last row itself (not the anchor): the position a replica of it is compared with.
 */
export async function figures(
  db: Knex,
  asked: { skus?: string[]; low?: boolean; limit: number }
): Promise<C.StockFigures> {
  const where: string[] = []
  const params: unknown[] = []
  if (asked.skus) {
    where.push('i.sku IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(asked.skus))
  }
  if (asked.low) where.push('i.reorder_point IS NOT NULL AND b.on_hand <= i.reorder_point')
  return withSql(db, async (sql) => {
    const rows = await sql.all<C.StockFigure>(
      `SELECT i.sku AS sku, i.name AS name, i.unit AS unit, b.on_hand AS onHand,
         i.reorder_point AS reorderPoint
       FROM items i JOIN balances b ON b.sku = i.sku
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY i.sku LIMIT ?`,
      [...params, asked.limit + 1]
    )
    const [head] = await sql.all<C.StockFigures['ledger']>(
      'SELECT seq, hash FROM movements ORDER BY seq DESC LIMIT 1'
    )
    const truncated = rows.length > asked.limit
    return {
      figures: truncated ? rows.slice(0, asked.limit) : rows,
      ledger: head ?? EMPTY_LEDGER,
      truncated,
    }
  })
}
