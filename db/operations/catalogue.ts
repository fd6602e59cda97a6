// The company-wide catalogue: this node's own items beside the definitions its replicas hold of
// every peer's (replica_items, filled by replicas.apply from item.created / item.updated events),
// grouped by SKU; and adopting a peer's definition into the own catalogue in one step.
import type { Knex } from 'knex'
import type * as C from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import { decodeCursor, page } from '../paging.ts'
import { NodeSetting } from '../models/node-setting.ts'
import { create, likePattern } from './items.ts'

/** An item as one warehouse defines it, and that warehouse. */
type DefinitionRow = C.Item & { nodeId: string; warehouse: string }

const ITEM_COLUMNS = `sku, name, unit, description, reorder_point AS reorderPoint,
  created_at AS createdAt, updated_at AS updatedAt`

// Every peer's definition, as this node's replicas hold them, with the peer's name.
const REPLICA_DEFINITIONS = `SELECT ri.node_id AS nodeId,
    coalesce(nullif(r.name, ''), ri.node_id) AS warehouse, ri.sku, ri.name, ri.unit,
    ri.description, ri.reorder_point AS reorderPoint, ri.created_at AS createdAt,
    ri.updated_at AS updatedAt
  FROM replica_items ri LEFT JOIN replicas r ON r.node_id = ri.node_id`

// Every definition known here: own (under this node's id and name), then each replica's.
const DEFINITIONS = `SELECT ? AS nodeId, ? AS warehouse, ${ITEM_COLUMNS} FROM items
  UNION ALL ${REPLICA_DEFINITIONS}`

async function self(trx: Knex): Promise<{ id: string; name: string }> {
  const settings = await NodeSetting.query(trx).whereIn('key', ['id', 'name'])
  const value = (key: string) => settings.find((s) => s.key === key)?.value ?? ''
  return { id: value('id'), name: value('name') }
}

function toItem(row: DefinitionRow): C.Item {
  const { sku, name, unit, description, reorderPoint, createdAt, updatedAt } = row
  return { sku, name, unit, description, reorderPoint, createdAt, updatedAt }
}

export async function network(
  trx: Knex,
  query: C.PageRequest & { search?: string; unitsDiffer?: boolean }
): Promise<{ items: C.NetworkItem[]; nextCursor: string | null }> {
  const me = await self(trx)
  const after = query.cursor ? decodeCursor<string>(query.cursor, 'string') : ''
  const pattern = query.search ? likePattern(query.search) : null
  // One page of SKUs first (a SKU matches when any warehouse's definition does), then all of
  // their definitions: a page never splits a SKU's origins.
  const skus: { sku: string }[] = await trx.raw(
    `WITH d AS (${DEFINITIONS}) SELECT sku FROM d WHERE sku > ?
       AND (? IS NULL OR sku LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\'
         OR description LIKE ? ESCAPE '\\')
     GROUP BY sku HAVING ? = 0 OR count(DISTINCT unit) > 1 ORDER BY sku LIMIT ?`,
    [
      me.id,
      me.name,
      after,
      pattern,
      pattern,
      pattern,
      pattern,
      query.unitsDiffer ? 1 : 0,
      query.limit + 1,
    ]
  )
  const { rows, nextCursor } = page(skus, query.limit, (row) => row.sku)
  const definitions: DefinitionRow[] = rows.length
    ? await trx.raw(
        `WITH d AS (${DEFINITIONS}) SELECT * FROM d
         WHERE sku IN (SELECT value FROM json_each(?)) ORDER BY sku, nodeId = ? DESC, warehouse`,
        [me.id, me.name, JSON.stringify(rows.map((r) => r.sku)), me.id]
      )
    : []
  const items = rows.map(({ sku }): C.NetworkItem => {
    const origins = definitions
      .filter((d) => d.sku === sku)
      .map((d) => ({
        node: { id: d.nodeId, name: d.warehouse },
        here: d.nodeId === me.id,
        item: toItem(d),
      }))
    const units = [...new Set(origins.map((o) => o.item.unit))].sort()
    return { sku, units, unitsDiffer: units.length > 1, here: origins.some((o) => o.here), origins }
  })
  return { items, nextCursor }
}

const DEFINING = ['name', 'unit', 'description', 'reorderPoint'] as const

/**
 * Copies a peer's definition of a SKU (as this node's replica holds it) into the own catalogue.
 * Already here with the same definition: nothing changes. Here with another: refused, naming
 * each field that differs; the own definition stays as it is.
 */
export async function adopt(trx: Knex, { sku, from }: { sku: string; from: string }) {
  const [theirs]: DefinitionRow[] = await trx.raw(
    `SELECT * FROM (${REPLICA_DEFINITIONS}) WHERE nodeId = ? AND sku = ?`,
    [from, sku]
  )
  if (!theirs) {
    throw new DomainError(
      'NOT_FOUND',
      `This node holds no definition of ${sku} from node ${from}: it is not in that peer's catalogue as replicated here`,
      [{ path: 'from', message: `no item ${sku} in the replica of ${from}` }]
    )
  }
  const [ours]: DefinitionRow[] = await trx.raw(`SELECT ${ITEM_COLUMNS} FROM items WHERE sku = ?`, [
    sku,
  ])
  if (ours) {
    const differ = DEFINING.filter((field) => ours[field] !== theirs[field])
    if (differ.length === 0) return { item: toItem(ours), adopted: false }
    throw new DomainError(
      'CONFLICT',
      `${sku} is already in this catalogue with another ${differ.join(', ')}: ${differ.map((f) => `${JSON.stringify(ours[f])} here, ${JSON.stringify(theirs[f])} at ${theirs.warehouse}`).join('; ')}`,
      differ.map((field) => ({
        path: field,
        message: `differs from ${theirs.warehouse}'s definition`,
      }))
    )
  }
  const { name, unit, description, reorderPoint } = theirs
  const item = await create(trx, { sku, name, unit, description, reorderPoint })
  return { item, adopted: true }
}
