import type { Knex } from 'knex'
import type * as C from '../contract.ts'
import { itemNotFound } from '../domain-error.ts'
import { decodeCursor, page } from '../paging.ts'

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

export async function get(trx: Knex, { sku }: { sku: string }): Promise<C.Stock> {
  const row: StockRow | undefined = await stockQuery(trx).where('items.sku', sku).first()
  if (!row) throw itemNotFound(sku)
  return toStock(row)
}

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
