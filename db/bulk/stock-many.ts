// stock.get for every such envelope of a batch in one statement: the same rows and refusals as
// one `stock.get` each, at the cost of one trip to the database instead of one per read.
import type * as C from '../contract.ts'
import { refusalOf, reply } from '../dispatch.ts'
import { itemNotFound } from '../domain-error.ts'
import { toStock, type StockRow } from '../operations/stock.ts'
import type { Sql } from '../sql.ts'

/** A payload in the shape the handler sends; anything else takes the one-by-one path. */
export function isPlainStockGet(payload: unknown): payload is { sku: string } {
  return typeof (payload as { sku?: unknown }).sku === 'string'
}

export async function stockMany(
  sql: Sql,
  envs: C.RequestEnvelope<'stock.get'>[]
): Promise<C.ReplyEnvelope[]> {
  const skus = [...new Set(envs.map((e) => e.payload.sku))]
  const rows = await sql.all<StockRow>(
    `SELECT i.sku AS sku, i.name AS name, i.unit AS unit, i.reorder_point AS reorderPoint,
       b.on_hand AS onHand, b.last_seq AS lastSeq, b.updated_at AS updatedAt
     FROM items i JOIN balances b ON b.sku = i.sku
     WHERE i.sku IN (SELECT value FROM json_each(?))`,
    [JSON.stringify(skus)]
  )
  const bySku = new Map(rows.map((row) => [row.sku, toStock(row)]))
  return envs.map((env) => {
    const stock = bySku.get(env.payload.sku)
    if (stock) return reply(env.id, { ok: true, data: stock })
    return reply(env.id, refusalOf(itemNotFound(env.payload.sku)))
  })
}
