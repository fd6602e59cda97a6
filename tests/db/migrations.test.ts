import { readdirSync } from 'node:fs'
import t from 'tap'
import knexFactory, { type Knex } from 'knex'
import { knexConfig, MIGRATIONS_DIR } from '../../db/knex-config.ts'
import { EMPTY_LEDGER } from '../../db/ledger/hash.ts'
import { post } from '../../db/ledger/post.ts'
import { create } from '../../db/operations/items.ts'
import { record } from '../../db/operations/movements.ts'
import { ensureIdentity } from '../../db/operations/node.ts'
import * as ledger from '../../migrations/20261122190100_create_ledger.ts'
import { BEFORE_MESSAGING, TABLES, downTo, testDb } from '../fixtures/test-db.ts'

const TRANSFER_TABLES = ['inbox_log', 'outbox', 'transfer_lines', 'transfer_receipts', 'transfers']
const ACCESS_TABLES = ['api_tokens', 'users']
/** Migrations in the folder (sources, or the build's .js beside their maps). */
const MIGRATIONS = readdirSync(MIGRATIONS_DIR).filter((file) => /\.(ts|js)$/.test(file)).length
const QUEUE_TABLES = ['messaging_grants', 'queue_message_ids', 'queue_messages', 'queues']
const TOPIC_TABLES = ['topic_message_ids', 'topic_messages', 'topic_subscriptions', 'topics']

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

/**
 * The first receipt of an item already in the catalogue, written as the schema of before the
 * event log takes it: the row the posting rule decides, and its balance.
 */
async function firstReceipt(knex: Knex, sku: string, quantity: number) {
  const stock = new Map([[sku, { onHand: 0, unit: 'ea' }]])
  const state = { head: EMPTY_LEDGER, stock, warehouse: 'test' }
  const posting = post(
    state,
    { type: 'receipt', sku, quantity, actor: null },
    new Date().toISOString()
  )
  if (!posting.ok) throw posting.refusal
  // The row as the schema of before transfers had it: without a transfer's two columns.
  const { transferId: _t, counterparty: _c, actor: _a, ...row } = posting.movement
  await knex('movements').insert(row)
  const { onHand, lastSeq, updatedAt } = posting.balance
  await knex('balances').where({ sku }).update({ onHand, lastSeq, updatedAt })
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
    'events_append_only_delete',
    'events_append_only_update',
    'events_numbered',
    'events_to_federation',
    'events_to_subscriptions',
    'ledger_head_keep_row',
    'movements_append_only_delete',
    'movements_append_only_update',
    'movements_move_head',
    'queue_messages_depth_delete',
    'queue_messages_depth_insert',
    'replica_events_append_only_delete',
    'replica_events_append_only_update',
    'replica_events_numbered',
    'replica_movements_append_only_delete',
    'replica_movements_append_only_update',
    'replica_movements_chained',
    'topic_messages_to_federation',
    'topic_messages_to_subscriptions',
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
  const withoutFederations = TABLES.filter((table) => table !== 'federations')
  const withoutTopics = withoutFederations.filter((table) => !TOPIC_TABLES.includes(table))
  const beforeMessaging = withoutTopics.filter((table) => !QUEUE_TABLES.includes(table))
  const withoutAccess = beforeMessaging.filter((table) => !ACCESS_TABLES.includes(table))
  const withoutTransfers = withoutAccess.filter((table) => !TRANSFER_TABLES.includes(table))
  const withoutReplicas = withoutTransfers.filter((table) => !table.startsWith('replica'))
  const withoutEvents = withoutReplicas.filter((table) => table !== 'events')
  t.same(left, [
    TABLES, // a subscription's copies bounded: a column and the triggers, made again
    TABLES, // the unit a dispatch counts each line in: a column, no table
    TABLES, // federated topic messages' ids never given twice: a trigger, made again
    TABLES, // a replica's rows deleted only by its reseed: the triggers, made again
    TABLES, // transfers on the system topics as the API shows them: a view, made again
    TABLES, // the replicas' transfers sent, indexed: an index, no table
    TABLES, // topic patterns matched word by word: the triggers, made again
    withoutFederations,
    withoutTopics,
    beforeMessaging,
    beforeMessaging, // who made each row: a column, no table
    withoutAccess,
    withoutTransfers,
    withoutReplicas,
    withoutEvents,
    withoutEvents, // the idempotency keys' scope: the table is rebuilt, none comes or goes
    withoutEvents, // the reorder point made optional: no table comes or goes
    ['balances', 'idempotency_keys', 'items', 'members', 'movements', 'node_settings'],
    ['balances', 'idempotency_keys', 'items', 'movements', 'node_settings'],
    ['balances', 'idempotency_keys', 'items', 'movements'],
    ['balances', 'items', 'movements'],
    ['items'],
    [],
  ])
  t.same(await triggers(knex), [], 'the triggers went with their tables')

  const [, applied] = await knex.migrate.latest()
  t.equal(applied.length, MIGRATIONS, 'every migration, up again')
  t.same(await tables(knex), TABLES)
  t.equal((await triggers(knex)).length, 21)
  await seed(knex)
  t.match(await knex('balances').first(), { sku: 'BOLT-M8', onHand: 10 })
})

t.test('a rollback that would drop rows is refused before anything is undone', async (t) => {
  const knex = await testDb(t)
  await seed(knex)
  await ensureIdentity(knex, 'Madrid')
  const refusal = await knex.migrate.rollback(undefined, true).then(
    () => t.fail('the rollback went through'),
    (err: Error) => err
  )
  t.match(refusal, {
    name: 'DataLossRefused',
    message: new RegExp(
      '^Refusing to roll back: it would drop items \\(1 row: the catalogue\\), ' +
        'movements \\(1 row: the ledger: every stock movement\\), balances \\(1 row: .*\\), ' +
        'node_settings \\(2 rows: .*\\), events \\(2 rows: the event log.*\\)\\. ' +
        '.*run the rollback again with ' +
        'ALMACEN_ALLOW_DATA_LOSS=1\\.$'
    ),
  })
  t.same(await tables(knex), TABLES)
  const [, pending] = await knex.migrate.list()
  t.same(pending, [], 'not even the migration without a table was undone')
  t.match(await knex('balances').first(), { sku: 'BOLT-M8', onHand: 10 })
})

t.test('one migration down at a time is refused at the first that would drop rows', async (t) => {
  const knex = await testDb(t)
  await knex('items').insert({
    sku: 'BOLT-M8',
    name: 'Bolt M8',
    unit: 'ea',
    createdAt: 'x',
    updatedAt: 'x',
  })
  await knex('balances').insert({ sku: 'BOLT-M8', onHand: 0, updatedAt: 'x' })
  await firstReceipt(knex, 'BOLT-M8', 10) // with an empty event log, which goes first
  await downTo(knex, BEFORE_MESSAGING)
  const undone = []
  for (let i = 0; i < 11; i++) undone.push((await knex.migrate.down())[1])
  t.match(undone, [
    [/_movements_actor\.ts$/],
    [/_create_users_and_tokens\.ts$/],
    [/_create_transfers\.ts$/],
    [/_create_replicas\.ts$/],
    [/_create_events\.ts$/],
    [/_idempotency_keys_scope\.ts$/],
    [/_items_reorder_point_optional\.ts$/],
    [/_create_ledger_head\.ts$/],
    [/_create_members\.ts$/],
    [/_create_node_settings\.ts$/],
    [/_create_idempotency_keys\.ts$/],
  ])
  await t.rejects(knex.migrate.down(), {
    message: /would drop movements \(1 row: the ledger: every stock movement\), balances/,
  })
  t.same(await tables(knex), ['balances', 'items', 'movements'])
})

t.test("a migration's own down refuses to drop rows, without the rollback's check", async (t) => {
  const knex = await testDb(t)
  await seed(knex)
  await t.rejects(ledger.down(knex), {
    message: /^Refusing to roll back: it would drop balances \(1 row: .*\), movements \(1 row/,
  })
  t.same(await tables(knex), TABLES)
})

t.test('with ALMACEN_ALLOW_DATA_LOSS=1 a rollback drops what it must', async (t) => {
  const knex = await testDb(t)
  await seed(knex)
  process.env.ALMACEN_ALLOW_DATA_LOSS = '1'
  t.teardown(() => delete process.env.ALMACEN_ALLOW_DATA_LOSS)
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
  await downTo(knex, BEFORE_MESSAGING)
  await knex.migrate.down() // who made each row
  await knex.migrate.down() // the users and tokens
  await knex.migrate.down() // the transfers
  await knex.migrate.down() // the replicas
  await knex.migrate.down() // the event log
  await knex.migrate.down() // the idempotency keys' scope
  await knex.migrate.down() // the reorder point made optional
  await knex.migrate.down() // the anchor
  const at = '2026-11-22T10:00:00.000Z'
  // The schema of that time: a reorder point of 0 where none is given.
  await knex('items').insert({
    sku: 'BOLT-M8',
    name: 'Bolt M8',
    unit: 'ea',
    createdAt: at,
    updatedAt: at,
  })
  await knex('balances').insert({ sku: 'BOLT-M8', onHand: 0, updatedAt: at })
  await firstReceipt(knex, 'BOLT-M8', 10)
  await knex('movements').insert(movementRow({ seq: 2 }))
  await knex.migrate.latest()
  t.same(await anchor(knex), { seq: 2, hash: 'f'.repeat(64) })
})

t.test(
  'making the reorder point optional turns the old default of 0 into none, and back',
  async (t) => {
    const knex = knexFactory(knexConfig(':memory:'))
    t.teardown(() => knex.destroy())
    for (;;) {
      const [, [done]] = await knex.migrate.up()
      if (done.endsWith('_create_members.ts')) break
    }
    // Rows as the old schema took them: no reorder point given means 0.
    const at = '2026-11-22T10:00:00.000Z'
    for (const [sku, reorderPoint] of [['BOLT-M8'], ['NUT-M8', 50], ['WASHER']]) {
      const given = reorderPoint === undefined ? {} : { reorderPoint }
      await knex('items').insert({
        sku,
        name: sku,
        unit: 'ea',
        createdAt: at,
        updatedAt: at,
        ...given,
      })
      await knex('balances').insert({ sku, onHand: 0, updatedAt: at })
    }
    await firstReceipt(knex, 'BOLT-M8', 10)
    const reorderPoints = async () =>
      (await knex('items').orderBy('sku').select('sku', 'reorderPoint')).map((row) => [
        row.sku,
        row.reorderPoint,
      ])
    t.same(await reorderPoints(), [
      ['BOLT-M8', 0],
      ['NUT-M8', 50],
      ['WASHER', 0],
    ])

    for (;;) {
      const [, [done]] = await knex.migrate.up() // up to this migration, not beyond
      if (done.endsWith('_items_reorder_point_optional.ts')) break
    }
    t.same(await reorderPoints(), [
      ['BOLT-M8', null],
      ['NUT-M8', 50],
      ['WASHER', null],
    ])
    t.match(await knex('movements').first(), { sku: 'BOLT-M8', quantity: 10 }, 'the ledger stays')
    t.same(await triggers(knex), [
      'balances_not_negative_insert',
      'balances_not_negative_update',
      'ledger_head_keep_row',
      'movements_append_only_delete',
      'movements_append_only_update',
      'movements_move_head',
    ])
    await t.rejects(
      knex('balances').insert({ sku: 'GHOST', onHand: 1, updatedAt: at }),
      {
        message: /FOREIGN KEY constraint failed/,
      },
      'foreign keys are on again, and point at the new table'
    )
    await t.rejects(knex('items').where({ sku: 'NUT-M8' }).update({ reorderPoint: -1 }), {
      message: /CHECK constraint failed: items_reorder_point_not_negative/,
    })
    t.match(
      await knex.raw(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items'`),
      [{ name: 'sqlite_autoindex_items_1' }, { name: 'items_name' }]
    )

    await knex.migrate.down()
    t.same(await reorderPoints(), [
      ['BOLT-M8', 0],
      ['NUT-M8', 50],
      ['WASHER', 0],
    ])
    t.match(await knex('balances').where({ sku: 'BOLT-M8' }).first(), { onHand: 10 })
  }
)

t.test(
  "scoping the idempotency keys keeps every key; its down refuses to drop another scope's",
  async (t) => {
    const knex = await testDb(t)
    await downTo(knex, BEFORE_MESSAGING)
    await knex.migrate.down() // the users and tokens
    await knex.migrate.down() // the transfers
    await knex.migrate.down() // the replicas
    await knex.migrate.down() // the event log
    await knex.migrate.down() // the scope
    const key = { op: 'items.create', fingerprint: 'f', ok: true, result: '{}', createdAt: 'now' }
    await knex('idempotency_keys').insert({ ...key, key: 'k-1' })
    await knex.migrate.latest()
    t.match(await knex('idempotency_keys').select(), [{ key: 'k-1', scope: 'request' }])

    // A peer's message id is another record than a client's key, even when the text is the same.
    await knex('idempotency_keys').insert({ ...key, key: 'k-1', scope: 'peer:bilbao' })
    await t.rejects(knex('idempotency_keys').insert({ ...key, key: 'k-1' }), {
      message: /UNIQUE constraint failed/,
    })

    await downTo(knex, BEFORE_MESSAGING)
    await knex.migrate.down() // who made each row, empty
    await knex.migrate.down() // the users and tokens, empty
    await knex.migrate.down() // the transfers, empty
    await knex.migrate.down() // the replicas, empty
    await knex.migrate.down() // the event log, empty
    await t.rejects(knex.migrate.down(), {
      name: 'DataLossRefused',
      message: /would drop idempotency_keys \(1 row: the exactly-once records/,
    })
    await knex('idempotency_keys').where({ scope: 'peer:bilbao' }).delete()
    await knex.migrate.down()
    const columns: { name: string }[] = await knex.raw('PRAGMA table_info(idempotency_keys)')
    t.notOk(
      columns.some((c) => c.name === 'scope'),
      'the table as it was'
    )
    t.match(await knex('idempotency_keys').select(), [{ key: 'k-1', op: 'items.create' }])
  }
)
