import t from 'tap'
import type { Knex } from 'knex'
import { create } from '../../db/operations/items.ts'
import { record } from '../../db/operations/movements.ts'
import { testDb } from '../fixtures/test-db.ts'

const TABLES = [
  'balances',
  'idempotency_keys',
  'items',
  'ledger_acceptances',
  'ledger_head',
  'members',
  'movements',
  'node_settings',
]

async function tables(knex: Knex): Promise<string[]> {
  const rows: { name: string }[] = await knex('sqlite_master')
    .where({ type: 'table' })
    .whereNot('name', 'like', 'knex_%')
    .whereNot('name', 'like', 'sqlite_%')
    .orderBy('name')
    .select('name')
  return rows.map((row) => row.name)
}

async function triggers(knex: Knex): Promise<string[]> {
  const rows: { name: string }[] = await knex('sqlite_master')
    .where({ type: 'trigger' })
    .orderBy('name')
    .select('name')
  return rows.map((row) => row.name)
}

async function seed(knex: Knex) {
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' })
  await record(knex, { type: 'receipt', sku: 'BOLT-M8', quantity: 10 })
}

/** A movement row that breaks no CHECK constraint, but for the fields given. */
function movementRow(fields: Record<string, unknown>) {
  return {
    seq: 2,
    type: 'receipt',
    sku: 'BOLT-M8',
    quantity: 1,
    delta: 1,
    balanceAfter: 11,
    createdAt: '2026-11-22T10:00:00.000Z',
    prevHash: '0'.repeat(64),
    hash: 'f'.repeat(64),
    ...fields,
  }
}

t.test('the latest schema has every table and the ledger triggers', async (t) => {
  const knex = await testDb(t)
  t.same(await tables(knex), TABLES)
  t.same(await triggers(knex), [
    'balances_not_negative_insert',
    'balances_not_negative_update',
    'ledger_head_keep_row',
    'movements_append_only_delete',
    'movements_append_only_update',
    'movements_move_head',
  ])
})

t.test('every migration runs down, one at a time, and up again', async (t) => {
  const knex = await testDb(t)
  const [, files] = await knex.migrate.list()
  t.equal(files.length, 0, 'nothing is pending after latest')

  const left: string[][] = []
  for (;;) {
    const [, undone] = await knex.migrate.down()
    if (undone.length === 0) break
    left.push(await tables(knex))
  }
  t.same(left, [
    ['balances', 'idempotency_keys', 'items', 'members', 'movements', 'node_settings'],
    ['balances', 'idempotency_keys', 'items', 'movements', 'node_settings'],
    ['balances', 'idempotency_keys', 'items', 'movements'],
    ['balances', 'items', 'movements'],
    ['items'],
    [],
  ])
  t.same(await triggers(knex), [], 'the triggers went with their tables')

  const [, applied] = await knex.migrate.latest()
  t.equal(applied.length, 6)
  t.same(await tables(knex), TABLES)
  t.equal((await triggers(knex)).length, 6)
  await seed(knex)
  t.match(await knex('balances').first(), { sku: 'BOLT-M8', onHand: 10 })
})

t.test('rolling back all migrations with data in them leaves no table behind', async (t) => {
  const knex = await testDb(t)
  await seed(knex)
  await knex.migrate.rollback(undefined, true)
  t.same(await tables(knex), [])
  await knex.migrate.latest()
  t.same(await tables(knex), TABLES)
  t.equal((await knex('movements').count({ n: '*' }).first())?.n, 0, 'the tables come back empty')
})

t.test('the triggers refuse to update or delete a movement', async (t) => {
  const knex = await testDb(t)
  await seed(knex)
  await t.rejects(knex('movements').where({ seq: 1 }).update({ quantity: 99 }), {
    message: /movements are append-only/,
  })
  await t.rejects(knex('movements').where({ seq: 1 }).delete(), {
    message: /movements are append-only/,
  })
  t.match(await knex('movements').where({ seq: 1 }).first(), { quantity: 10, delta: 10 })
})

t.test('the triggers refuse a negative balance, on insert and on update', async (t) => {
  const knex = await testDb(t)
  await seed(knex)
  await t.rejects(knex('balances').where({ sku: 'BOLT-M8' }).update({ onHand: -1 }), {
    message: /on hand cannot be negative/,
  })
  await knex('items').insert({
    sku: 'NUT-M8',
    name: 'Nut M8',
    unit: 'ea',
    createdAt: '2026-11-22T10:00:00.000Z',
    updatedAt: '2026-11-22T10:00:00.000Z',
  })
  await t.rejects(
    knex('balances').insert({ sku: 'NUT-M8', onHand: -5, updatedAt: '2026-11-22T10:00:00.000Z' }),
    { message: /on hand cannot be negative/ }
  )
  t.match(await knex('balances').where({ sku: 'BOLT-M8' }).first(), { onHand: 10 })
})

t.test('foreign keys refuse a movement or a balance for an unknown SKU', async (t) => {
  const knex = await testDb(t)
  await t.rejects(knex('movements').insert(movementRow({ seq: 1, sku: 'GHOST' })), {
    message: /FOREIGN KEY constraint failed/,
  })
  await t.rejects(
    knex('balances').insert({ sku: 'GHOST', onHand: 1, updatedAt: '2026-11-22T10:00:00.000Z' }),
    { message: /FOREIGN KEY constraint failed/ }
  )
  t.equal((await knex('movements').count({ n: '*' }).first())?.n, 0)
})

t.test('the schema refuses a movement type outside receipt, issue and adjustment', async (t) => {
  const knex = await testDb(t)
  await seed(knex)
  await t.rejects(knex('movements').insert(movementRow({ type: 'theft' })), {
    message: /CHECK constraint failed: type$/,
  })
})

const anchor = (knex: Knex) => knex('ledger_head').first('seq', 'hash')

t.test('the head anchor follows every movement inserted, by any code path', async (t) => {
  const knex = await testDb(t)
  t.same(await anchor(knex), { seq: 0, hash: '0'.repeat(64) }, 'an empty ledger')
  await seed(knex)
  const first = await knex('movements').where({ seq: 1 }).first('hash')
  t.same(await anchor(knex), { seq: 1, hash: first.hash }, 'through record')
  await knex('movements').insert(movementRow({ seq: 2, hash: 'a'.repeat(64) }))
  t.same(await anchor(knex), { seq: 2, hash: 'a'.repeat(64) }, 'through a raw insert')
  await t.rejects(knex('ledger_head').delete(), { message: /anchor cannot be deleted/ })
})

t.test('the head anchor only moves forward: rows put back below it leave it', async (t) => {
  const knex = await testDb(t)
  await seed(knex)
  await knex('movements').insert(movementRow({ seq: 2 }))
  await knex.raw('DROP TRIGGER movements_append_only_delete')
  await knex('movements').where({ seq: 2 }).delete()
  await knex('movements').insert(movementRow({ seq: 2, hash: 'b'.repeat(64) }))
  t.same(await anchor(knex), { seq: 2, hash: 'f'.repeat(64) }, 'still the first row 2')
})

t.test('the anchor migration anchors a ledger that already has movements', async (t) => {
  const knex = await testDb(t)
  await knex.migrate.down() // the anchor's migration is the last one
  await seed(knex)
  await knex('movements').insert(movementRow({ seq: 2 }))
  await knex.migrate.latest()
  t.same(await anchor(knex), { seq: 2, hash: 'f'.repeat(64) })
})
