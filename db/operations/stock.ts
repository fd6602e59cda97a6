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
  inTransit: number
  sent: number
  received: number
  lastSeq: number | null
  updatedAt: string
}

/**
 * What this node sent of an item (`i`) on open transfers and has not seen settled: its own view
 * (sent − received − written off − returned per line of each transfer not closed).
 */
const IN_TRANSIT_SQL = `coalesce((SELECT sum(max(0, l.sent - l.received - l.written_off
    - l.returned)) FROM transfer_lines l JOIN transfers t ON t.id = l.transfer_id
  WHERE l.sku = i.sku AND t.direction = 'out' AND t.state <> 'closed'), 0)`

function stockQuery(trx: Knex) {
  return trx('items as i')
    .join('balances', 'balances.sku', 'i.sku')
    .select(
      'i.sku',
      'i.name',
      'i.unit',
      'i.reorderPoint',
      'balances.onHand',
      trx.raw(`${IN_TRANSIT_SQL} AS in_transit`),
      'balances.sent',
      'balances.received',
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
         b.on_hand AS onHand, ${IN_TRANSIT_SQL} AS inTransit, b.sent AS sent,
         b.received AS received, b.last_seq AS lastSeq, b.updated_at AS updatedAt
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
    .orderBy('i.sku')
    .limit(query.limit + 1)
  if (query.low) {
    q.whereNotNull('i.reorderPoint').whereRaw('balances.on_hand <= i.reorder_point')
  }
  if (query.cursor) q.where('i.sku', '>', decodeCursor<string>(query.cursor, 'string'))
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
         ${IN_TRANSIT_SQL} AS inTransit, b.sent AS sent, b.received AS received,
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
