// Fills a fresh database with items and a valid ledger, straight into SQLite: seeding 100,000
// movements over HTTP would take longer than the benchmark. The schema comes from almacen's own
// migrations and every row is what the node would have written: each is posted by the node's own
// posting rule (db/ledger/post.ts) and stored through its row codec.
import Database from 'better-sqlite3'
import knexFactory from 'knex'
import type { MovementInput } from '../db/contract/index.ts'
import { knexConfig } from '../db/knex-config.ts'
import { EMPTY_LEDGER } from '../db/ledger/hash.ts'
import { advance, post, type PostingState } from '../db/ledger/post.ts'
import { INSERT_MOVEMENT, toRow } from './servers/rows.ts'

export interface SeedSize {
  items: number
  movements: number
  /**
   * Also the event log the node would have written with them (item.created, movement.recorded):
   * what peers replicate. Without it a peer's replica of this node would find the ledger's first
   * rows missing from its feed.
   */
  events?: boolean
}

/** The SKU of the n-th seeded item (0-based); the load generator picks from the same list. */
export function skuOf(n: number): string {
  return `SKU-${String(n + 1).padStart(6, '0')}`
}

/** A small deterministic generator (mulberry32), so every run seeds the same ledger. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export async function seedDatabase(file: string, size: SeedSize): Promise<void> {
  const knex = knexFactory(knexConfig(file))
  await knex.migrate.latest()
  await knex.destroy()

  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  const next = random(4)
  const start = Date.parse('2026-01-01T00:00:00Z')
  const onHand = new Array<number>(size.items).fill(0)
  const lastSeq = new Array<number | null>(size.items).fill(null)
  const created = new Date(start).toISOString()
  const addItem = db.prepare(`INSERT INTO items (sku, name, unit, description, reorder_point,
    created_at, updated_at) VALUES (?, ?, 'ea', '', ?, ?, ?)`)
  const addMovement = db.prepare(INSERT_MOVEMENT)
  const addBalance = db.prepare(
    'INSERT INTO balances (sku, on_hand, last_seq, updated_at) VALUES (?, ?, ?, ?)'
  )
  const addEvent = db.prepare(
    'INSERT INTO events (seq, type, subject, data, created_at) VALUES (?, ?, ?, ?, ?)'
  )
  let events = 0
  const event = (type: string, subject: string, data: { createdAt: string }) => {
    if (size.events) addEvent.run(++events, type, subject, JSON.stringify(data), data.createdAt)
  }

  db.transaction(() => {
    for (let i = 0; i < size.items; i++) {
      const reorderPoint = Math.floor(next() * 20)
      addItem.run(skuOf(i), `Item ${i + 1}`, reorderPoint, created, created)
      const item = { sku: skuOf(i), name: `Item ${i + 1}`, unit: 'ea', description: '' }
      const data = { ...item, reorderPoint, createdAt: created, updatedAt: created }
      event('item.created', skuOf(i), data)
    }
    const state: PostingState = { head: EMPTY_LEDGER, stock: new Map(), warehouse: 'seed' }
    for (let i = 0; i < size.items; i++) state.stock.set(skuOf(i), { onHand: 0, unit: 'ea' })
    let createdAt = created
    for (let seq = 1; seq <= size.movements; seq++) {
      const n = Math.floor(next() * size.items)
      const roll = next()
      const quantity = 1 + Math.floor(next() * 20)
      const common = { sku: skuOf(n), reference: `SEED-${seq}` }
      // Mostly receipts, some issues (never beyond what is on hand), some counts.
      let input: MovementInput = {
        type: roll < 0.2 && onHand[n] >= quantity ? 'issue' : 'receipt',
        quantity,
        ...common,
      }
      if (roll > 0.92) {
        const countedQuantity = Math.max(0, onHand[n] + Math.floor(next() * 7) - 3)
        input = { type: 'adjustment', countedQuantity, ...common }
      }
      createdAt = new Date(start + seq * 1000).toISOString()
      const posting = post(state, input, createdAt)
      if (!posting.ok) throw posting.refusal // the choices above never go below zero
      advance(state, posting)
      onHand[n] = posting.balance.onHand
      lastSeq[n] = seq
      addMovement.run(toRow(posting.movement))
      event('movement.recorded', posting.movement.sku, posting.movement)
    }
    for (let i = 0; i < size.items; i++) {
      addBalance.run(skuOf(i), onHand[i], lastSeq[i], lastSeq[i] === null ? created : createdAt)
    }
  })()
  db.close() // checkpoints the WAL into the file, so the file alone can be copied
}
