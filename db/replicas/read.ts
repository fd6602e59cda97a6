// Reading the replicas: their state, their ledgers (the filters of movements.list), a verify
// of one (the ledger's own checks over its rows), and their figures for company-wide answers.
import type { Knex } from 'knex'
import type * as C from '../contract/index.ts'
import { LedgerVerifier } from '../ledger/verifier.ts'
import { withProjections } from '../ledger/jobs.ts'
import { checkProjections } from '../ledger/projections.ts'
import { readRows, type RowSource } from '../ledger/rows.ts'
import { listRows } from '../operations/movements.ts'
import { withSql } from '../sql.ts'
import { allReplicas, getReplica } from './store.ts'

const VERIFY_PAGE = 1000
const END = Number.MAX_SAFE_INTEGER

export function list(db: Knex): Promise<{ replicas: C.Replica[] }> {
  return withSql(db, async (sql) => ({ replicas: await allReplicas(sql) }))
}

export function get(db: Knex, { nodeId }: { nodeId: string }): Promise<C.Replica> {
  return withSql(db, (sql) => getReplica(sql, nodeId))
}

export function head(db: Knex, { nodeId }: { nodeId: string }) {
  return withSql(db, async (sql) => {
    const { cursor, caughtUpAt } = await getReplica(sql, nodeId)
    return { ...cursor, caughtUpAt }
  })
}

export async function movements(db: Knex, { nodeId, ...filter }: C.Payload<'replicas.movements'>) {
  await get(db, { nodeId })
  return listRows(db, filter, { table: 'replica_movements', nodeId })
}

/**
 * Every row of a replica through the ledger's checks, then its cursor as the head anchor and its
 * balances against the sums. One operation: a replica is checked on request, not at every start.
 */
export function verify(db: Knex, { nodeId }: { nodeId: string }): Promise<C.LedgerCheck> {
  const source: RowSource = { table: 'replica_movements', nodeId }
  return withSql(db, async (sql) => {
    const replica = await getReplica(sql, nodeId)
    const verifier = new LedgerVerifier()
    for (let through = 0; ;) {
      const rows = await readRows(sql, through, END, VERIFY_PAGE, source)
      for (const row of rows) verifier.add(row)
      if (rows.length < VERIFY_PAGE) break
      through = rows[rows.length - 1].seq
    }
    const balances = await sql.all<{ sku: string; onHand: number; lastSeq: number | null }>(
      `SELECT sku, on_hand AS onHand, last_seq AS lastSeq FROM replica_balances WHERE node_id = ?`,
      [nodeId]
    )
    return withProjections(
      verifier.result(replica.cursor.ledger, balances),
      await checkProjections(sql, source)
    )
  })
}

interface LineRow extends Omit<C.ReplicaStockLine, 'low'> {
  nodeId: string
}

// Every SKU a replica knows of: from its catalogue, with its balance (0 before any movement),
// and balances whose item the log never described (made before the owner's event log began).
const LINES = `SELECT nodeId, sku, name, unit, reorderPoint, onHand, sent, received, lastSeq FROM (
    SELECT i.node_id AS nodeId, i.sku AS sku, i.name AS name, i.unit AS unit,
      i.reorder_point AS reorderPoint, coalesce(b.on_hand, 0) AS onHand,
      coalesce(b.sent, 0) AS sent, coalesce(b.received, 0) AS received, b.last_seq AS lastSeq
    FROM replica_items i LEFT JOIN replica_balances b ON b.node_id = i.node_id AND b.sku = i.sku
    UNION ALL
    SELECT b.node_id, b.sku, NULL, NULL, NULL, b.on_hand, b.sent, b.received, b.last_seq
    FROM replica_balances b
    WHERE NOT EXISTS (SELECT 1 FROM replica_items i WHERE i.node_id = b.node_id AND i.sku = b.sku))
  WHERE (? IS NULL OR sku IN (SELECT value FROM json_each(?)))
    AND (? = 0 OR (reorderPoint IS NOT NULL AND onHand <= reorderPoint))
  ORDER BY nodeId, sku`

/** Every replica's figures for the SKUs asked (all without), or only those at or below reorder. */
export function stock(db: Knex, { skus, low }: C.Payload<'replicas.stock'>) {
  return withSql(db, async (sql) => {
    const replicas = await allReplicas(sql)
    const asked = skus ? JSON.stringify(skus) : null
    const lines = await sql.all<LineRow>(LINES, [asked, asked, low ? 1 : 0])
    const byNode = new Map<string, C.ReplicaStockLine[]>()
    for (const { nodeId, ...line } of lines) {
      const low = line.reorderPoint !== null && line.onHand <= line.reorderPoint
      const held = byNode.get(nodeId) ?? []
      held.push({ ...line, low })
      byNode.set(nodeId, held)
    }
    const result: C.ReplicaStock[] = replicas.map((r) => ({
      nodeId: r.nodeId,
      name: r.name,
      state: r.state,
      reason: r.reason,
      ledger: r.cursor.ledger,
      events: r.cursor.events,
      asOf: r.caughtUpAt,
      stock: byNode.get(r.nodeId) ?? [],
    }))
    return { replicas: result }
  })
}
