// The transfers migration on a database that already holds a ledger: every row, hash, index,
// trigger and the head anchor kept; the new kinds let in by the rebuilt CHECKs and nothing else;
// its rollback refusing to drop what transfers wrote.
import t, { type Test } from 'tap'
import type { Knex } from 'knex'
import { EMPTY_LEDGER } from '../../db/ledger/hash.ts'
import type { KindInput } from '../../db/ledger/kinds.ts'
import { advance, post, type PostingState } from '../../db/ledger/post.ts'
import { recordRun } from '../../db/ledger/record.ts'
import { verify } from '../../db/operations/ledger.ts'
import { BEFORE_MESSAGING, downTo, testDb } from '../fixtures/test-db.ts'

const AT = '2026-12-20T10:00:00.000Z'
const kinds = (...inputs: object[]) => inputs as KindInput[]

const schemaOf = (knex: Knex, table: string) =>
  knex('sqlite_master')
    .where({ tbl_name: table })
    .whereIn('type', ['index', 'trigger'])
    .orderBy('name')
    .pluck('name')

/** A database at the migration before transfers, with items, a ledger and its balances. */
async function before(t: Parameters<typeof testDb>[0]) {
  const knex = await testDb(t)
  await downTo(knex, BEFORE_MESSAGING)
  await knex.migrate.down() // who made each row, which came last
  await knex.migrate.down() // the users and tokens, which came after transfers
  const [, undone] = await knex.migrate.down()
  if (!undone[0].endsWith('_create_transfers.ts')) throw new Error(`undid ${undone}`)
  const state: PostingState = { head: EMPTY_LEDGER, stock: new Map(), warehouse: 'Norte' }
  for (const sku of ['BOLT', 'ROPE']) {
    await knex('items').insert({ sku, name: sku, unit: 'ea', createdAt: AT, updatedAt: AT })
    await knex('balances').insert({ sku, onHand: 0, updatedAt: AT })
    state.stock.set(sku, { onHand: 0, unit: 'ea' })
  }
  const inputs = kinds(
    { type: 'receipt', sku: 'BOLT', quantity: 10 },
    { type: 'receipt', sku: 'ROPE', quantity: 5 },
    { type: 'issue', sku: 'BOLT', quantity: 3 },
    { type: 'adjustment', sku: 'ROPE', countedQuantity: 4 }
  )
  for (const input of inputs) {
    const posting = post(state, { ...input, actor: null }, AT)
    if (!posting.ok) throw posting.refusal
    advance(state, posting)
    const { transferId: _t, counterparty: _c, actor: _a, ...row } = posting.movement
    await knex('movements').insert(row)
    const { sku, onHand, lastSeq } = posting.balance
    await knex('balances').where({ sku }).update({ onHand, lastSeq })
  }
  return knex
}

t.test(
  'migrating a ledger with rows keeps every row, hash, index, trigger and the anchor',
  async (t) => {
    const knex = await before(t)
    const rows = await knex('movements').orderBy('seq').select()
    const anchor = await knex('ledger_head').first()
    const extras = await schemaOf(knex, 'movements')
    const [, applied] = await knex.migrate.latest()
    t.match(applied, [/_create_transfers\.ts$/])

    t.same(
      await knex('movements').orderBy('seq').select(),
      rows.map((row) => ({ ...row, transferId: null, counterparty: null, actor: null }))
    )
    t.same(await knex('ledger_head').first(), anchor, 'the anchor has not moved')
    t.same(await schemaOf(knex, 'movements'), extras, 'the same indexes and triggers')
    t.match(await verify(knex), { ok: true, checked: { movements: 4, balances: 2 } })
    t.same(await knex('balances').orderBy('sku').select('sku', 'onHand', 'sent', 'received'), [
      { sku: 'BOLT', onHand: 7, sent: 0, received: 0 },
      { sku: 'ROPE', onHand: 4, sent: 0, received: 0 },
    ])
    t.same(await knex.raw('PRAGMA foreign_key_check'), [])
    t.match(await knex.raw('PRAGMA foreign_keys'), [{ foreignKeys: 1 }], 'foreign keys on again')

    // The triggers work on the rebuilt table.
    await t.rejects(knex('movements').where({ seq: 1 }).delete(), { message: /append-only/ })
    await t.rejects(knex('movements').where({ seq: 1 }).update({ note: 'x' }), {
      message: /append-only/,
    })
    const outcomes = await recordRun(
      knex,
      kinds({ type: 'transfer_out', sku: 'BOLT', quantity: 2, transferId: 'T', counterparty: 'B' })
    )
    t.match(outcomes, [{ ok: true, data: { seq: 5 } }])
    t.match(await knex('ledger_head').first(), { seq: 5 }, 'the anchor follows new rows')
    await t.rejects(
      knex('movements').insert({ ...rows[0], seq: 6, sku: 'GHOST', prevHash: 'x' }),
      { message: /FOREIGN KEY constraint failed/ },
      'the foreign key to items holds'
    )
  }
)

t.test('the rebuilt CHECKs let in the transfer kinds, and only as they are', async (t) => {
  const knex = await testDb(t)
  await downTo(knex, BEFORE_MESSAGING)
  await knex('items').insert({ sku: 'BOLT', name: 'B', unit: 'ea', createdAt: AT, updatedAt: AT })
  const row = (fields: Record<string, unknown>) => ({
    seq: 1,
    sku: 'BOLT',
    balanceAfter: 0,
    createdAt: AT,
    prevHash: '0'.repeat(64),
    hash: 'f'.repeat(64),
    ...fields,
  })
  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['a kind it does not know', { type: 'theft', quantity: 1, delta: -1 }, /: type$/],
    [
      'a write-off that moves stock',
      { type: 'transfer_writeoff', quantity: 1, delta: -1, transferId: 'T', counterparty: 'B' },
      /movements_quantity/,
    ],
    ['a receipt with a quantity', { type: 'receipt', quantity: 2, delta: 0 }, /movements_quantity/],
    [
      'a transfer row without its transfer',
      { type: 'transfer_out', quantity: 1, delta: -1 },
      /movements_transfer/,
    ],
    [
      'a receipt naming a transfer',
      { type: 'receipt', quantity: 1, delta: 1, transferId: 'T', counterparty: 'B' },
      /movements_transfer/,
    ],
  ]
  for (const [what, fields, message] of refusals) {
    await t.rejects(knex('movements').insert(row(fields)), { message }, what)
  }
  await knex('movements').insert(
    row({ type: 'transfer_writeoff', quantity: 3, delta: 0, transferId: 'T', counterparty: 'B' })
  )
  t.equal((await knex('movements').count({ n: '*' }).first())?.n, 1)
})

/**
 * Posts `input` on what the database holds and writes the row as a schema of before actors has it
 * (no actor, hashed without one), so that the migrations down to transfers can go down under it.
 */
async function writeAsBefore(knex: Knex, input: KindInput) {
  const head = await knex('movements').orderBy('seq', 'desc').first()
  const held = await knex('balances').where({ sku: input.sku }).first()
  const state: PostingState = {
    head: head ? { seq: head.seq, hash: head.hash } : EMPTY_LEDGER,
    stock: new Map([[input.sku, { onHand: held.onHand, unit: 'ea', sent: held.sent ?? 0 }]]),
    warehouse: 'Norte',
  }
  const posting = post(state, { ...input, actor: null }, AT)
  if (!posting.ok) throw posting.refusal
  const { actor: _a, ...row } = posting.movement
  const own = await knex.schema.hasColumn('movements', 'transfer_id')
  const { transferId: _t, counterparty: _c, ...common } = row
  await knex('movements').insert(own ? row : common)
  const { onHand, lastSeq, sent } = posting.balance
  await knex('balances')
    .where({ sku: input.sku })
    .update(own ? { onHand, lastSeq, sent } : { onHand, lastSeq })
}

t.test('its rollback refuses to drop transfer rows, and undoes an unused migration', async (t) => {
  const knex = await testDb(t)
  await downTo(knex, BEFORE_MESSAGING)
  await knex('items').insert({ sku: 'BOLT', name: 'B', unit: 'ea', createdAt: AT, updatedAt: AT })
  await knex('balances').insert({ sku: 'BOLT', onHand: 0, updatedAt: AT })
  await recordRun(knex, kinds({ type: 'receipt', sku: 'BOLT', quantity: 5 }))
  // Who made each row cannot go while a row names someone: its hash covers it.
  await t.rejects(knex.migrate.down(), { message: /1 ledger rows record who made them/ })

  const older = await testDb(t)
  await downTo(older, BEFORE_MESSAGING)
  await older('items').insert({ sku: 'BOLT', name: 'B', unit: 'ea', createdAt: AT, updatedAt: AT })
  await older('balances').insert({ sku: 'BOLT', onHand: 0, updatedAt: AT })
  await writeAsBefore(older, { type: 'receipt', sku: 'BOLT', quantity: 5 } as KindInput)
  await older.migrate.down() // who made each row: no row names anyone
  await older.migrate.down() // the users and tokens
  await transfersRefused(t, older)
})

async function transfersRefused(t: Test, knex: Knex) {
  const now = { createdAt: AT, updatedAt: AT }
  await knex('transfers').insert({
    id: 'T',
    direction: 'out',
    peer: 'B',
    state: 'in_transit',
    ...now,
  })
  await t.rejects(knex.migrate.down(), {
    name: 'DataLossRefused',
    message: /would drop transfers \(1 row: the transfers to and from other warehouses\)/,
  })
  await knex('transfers').delete()
  await writeAsBefore(knex, {
    type: 'transfer_out',
    sku: 'BOLT',
    quantity: 2,
    transferId: 'T',
    counterparty: 'B',
  } as KindInput)
  await t.rejects(knex.migrate.down(), {
    name: 'DataLossRefused',
    message: /would drop movements \(1 row/,
  })
  t.match(await knex('movements').count({ n: '*' }).first(), { n: 2 }, 'nothing dropped')
  t.ok(await knex.schema.hasTable('outbox'))
}

t.test('with no transfer row, its rollback undoes the migration', async (t) => {
  const clean = await testDb(t)
  await downTo(clean, BEFORE_MESSAGING)
  await clean('items').insert({ sku: 'BOLT', name: 'B', unit: 'ea', createdAt: AT, updatedAt: AT })
  await clean('balances').insert({ sku: 'BOLT', onHand: 0, updatedAt: AT })
  await writeAsBefore(clean, { type: 'receipt', sku: 'BOLT', quantity: 5 } as KindInput)
  await clean.migrate.down() // who made each row
  await clean.migrate.down() // the users and tokens
  const [, undone] = await clean.migrate.down()
  t.match(undone, [/_create_transfers\.ts$/])
  t.notOk(await clean.schema.hasTable('outbox'))
  const columns: { name: string }[] = await clean.raw('PRAGMA table_info(movements)')
  t.notOk(
    columns.some((c) => c.name === 'transfer_id'),
    'movements as it was'
  )
  t.match(await clean('movements').first(), { type: 'receipt', quantity: 5 })
  await clean.migrate.latest()
  t.match(await verify(clean), { ok: true })
})
