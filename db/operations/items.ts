import type { Knex } from 'knex'
import type * as C from '../contract/index.ts'
import { DomainError, itemNotFound } from '../domain-error.ts'
import { appendEvents } from '../events/log.ts'
import { Balance } from '../models/balance.ts'
import { Item } from '../models/item.ts'
import { decodeCursor, page } from '../paging.ts'
import { withSql } from '../sql.ts'
import { countedOf, unitChangeRefused } from './unit-rule.ts'

function toItem(row: C.Item): C.Item {
  const { sku, name, unit, description, reorderPoint, createdAt, updatedAt } = row
  return { sku, name, unit, description, reorderPoint, createdAt, updatedAt }
}

/** Escapes LIKE wildcards so a search for "50%" finds "50%", not everything. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/** A new item as given, the fields left out at their defaults (no description, no reorder point). */
export function newItem(input: C.ItemInput, now: string): C.Item {
  return {
    sku: input.sku,
    name: input.name,
    unit: input.unit,
    description: input.description ?? '',
    reorderPoint: input.reorderPoint ?? null,
    createdAt: now,
    updatedAt: now,
  }
}

export async function create(trx: Knex, input: C.ItemInput): Promise<C.Item> {
  if (await Item.query(trx).findById(input.sku)) {
    throw new DomainError('CONFLICT', `An item with SKU ${input.sku} already exists`, [
      { path: 'sku', message: 'already exists' },
    ])
  }
  const now = new Date().toISOString()
  const item = newItem(input, now)
  await Item.query(trx).insert(item)
  await Balance.query(trx).insert({ sku: item.sku, onHand: 0, lastSeq: null, updatedAt: now })
  await appendEvents(trx, [{ type: 'item.created', subject: item.sku, data: item, createdAt: now }])
  return item
}

export async function get(trx: Knex, { sku }: { sku: string }): Promise<C.Item> {
  const item = await Item.query(trx).findById(sku)
  if (!item) throw itemNotFound(sku)
  return toItem(item)
}

/** What a patch (or an import's update) may change. */
export const PATCHABLE = ['name', 'unit', 'description', 'reorderPoint'] as const

/** Only the fields an item patch may change, and only those given a value. */
function changesOf(patch: C.ItemPatch): C.ItemPatch {
  return Object.fromEntries(
    PATCHABLE.filter((field) => patch[field] !== undefined).map((field) => [field, patch[field]])
  )
}

export async function update(
  trx: Knex,
  { sku, patch: given }: { sku: string; patch: C.ItemPatch }
): Promise<C.Item> {
  const patch = changesOf(given)
  const item = await get(trx, { sku })
  if (patch.unit !== undefined && patch.unit !== item.unit) {
    const counted = await withSql(trx, (sql) => countedOf(sql, [sku]))
    const refused = unitChangeRefused(sku, item.unit, patch.unit, counted)
    if (refused) {
      const why = counted.moved.has(sku)
        ? 'cannot change once the item has movements'
        : 'cannot change while a transfer not yet settled counts the item in another unit'
      throw new DomainError('CONFLICT', refused, [{ path: 'unit', message: why }])
    }
  }
  const updated = { ...item, ...patch, updatedAt: new Date().toISOString() }
  await Item.query(trx)
    .findById(sku)
    .patch({ ...patch, updatedAt: updated.updatedAt })
  const { updatedAt } = updated
  await appendEvents(trx, [
    { type: 'item.updated', subject: sku, data: updated, createdAt: updatedAt },
  ])
  return updated
}

export async function list(trx: Knex, query: C.PageRequest & { search?: string }) {
  const q = Item.query(trx)
    .orderBy('sku')
    .limit(query.limit + 1)
  if (query.search) {
    const pattern = likePattern(query.search)
    q.where((w) =>
      w
        .whereRaw(`sku LIKE ? ESCAPE '\\'`, [pattern])
        .orWhereRaw(`name LIKE ? ESCAPE '\\'`, [pattern])
        .orWhereRaw(`description LIKE ? ESCAPE '\\'`, [pattern])
    )
  }
  if (query.cursor) q.where('sku', '>', decodeCursor<string>(query.cursor, 'string'))
  const { rows, nextCursor } = page(await q, query.limit, (item) => item.sku)
  return { items: rows.map(toItem), nextCursor }
}
