import t from 'tap'
import type { Knex } from 'knex'
import { hashMovement } from '../../../db/ledger/hash.ts'
import { create } from '../../../db/operations/items.ts'
import { rebuild, verify } from '../../../db/operations/ledger.ts'
import { record } from '../../../db/operations/movements.ts'
import { testDb } from '../../fixtures/test-db.ts'

/** Five movements over two SKUs: BOLT-M8 ends at 7, NUT-M8 at 20. */
async function ledger(t: Parameters<typeof testDb>[0]): Promise<Knex> {
  const knex = await testDb(t)
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' })
  await create(knex, { sku: 'NUT-M8', name: 'Nut M8', unit: 'ea' })
  await create(knex, { sku: 'IDLE', name: 'Never moved', unit: 'ea' })
  await record(knex, { type: 'receipt', sku: 'BOLT-M8', quantity: 10 }) // 1
  await record(knex, { type: 'receipt', sku: 'NUT-M8', quantity: 20 }) // 2
  await record(knex, { type: 'issue', sku: 'BOLT-M8', quantity: 4 }) // 3
  await record(knex, { type: 'adjustment', sku: 'BOLT-M8', delta: 1 }) // 4
  await record(knex, { type: 'adjustment', sku: 'NUT-M8', countedQuantity: 20 }) // 5
  return knex
}

/** The append-only triggers stand in the way of a tamperer; these tests play one. */
async function dropAppendOnly(knex: Knex) {
  await knex.raw('DROP TRIGGER movements_append_only_update')
  await knex.raw('DROP TRIGGER movements_append_only_delete')
}

t.test('verify finds a clean ledger in order', async (t) => {
  const knex = await ledger(t)
  const head = await knex('movements').where({ seq: 5 }).first('hash')
  t.same(await verify(knex), {
    ok: true,
    differences: [],
    checked: { movements: 5, balances: 3 },
    head: { seq: 5, hash: head.hash },
  })
})

t.test('verify finds an empty ledger in order', async (t) => {
  const knex = await testDb(t)
  t.match(await verify(knex), {
    ok: true,
    differences: [],
    checked: { movements: 0, balances: 0 },
    head: { seq: 0, hash: '0'.repeat(64) },
  })
})

t.test('verify detects a reference changed in place, naming the row', async (t) => {
  const knex = await ledger(t)
  await dropAppendOnly(knex)
  await knex('movements').where({ seq: 3 }).update({ reference: 'WO-FORGED' })
  const check = await verify(knex)
  t.equal(check.ok, false)
  t.match(check.differences, [
    {
      kind: 'hash',
      seq: 3,
      sku: 'BOLT-M8',
      message: 'movement 3 was changed after it was written',
    },
  ])
  t.equal(check.differences.length, 1, 'a reference moves no balance')
})

t.test(
  'verify detects a delta changed in place, and the balances it no longer explains',
  async (t) => {
    const knex = await ledger(t)
    await dropAppendOnly(knex)
    await knex('movements').where({ seq: 3 }).update({ delta: -1, quantity: 1 })
    const check = await verify(knex)
    t.equal(check.ok, false)
    t.match(check.differences, [
      { kind: 'hash', seq: 3 },
      { kind: 'balance-after', seq: 3, sku: 'BOLT-M8', expected: 9, actual: 6 },
      { kind: 'balance-after', seq: 4, sku: 'BOLT-M8', expected: 10, actual: 7 },
      { kind: 'balance', sku: 'BOLT-M8', expected: 10, actual: 7 },
    ])
    t.equal(check.differences.length, 4)
  }
)

t.test('verify detects a row whose hash was recomputed to hide the change', async (t) => {
  const knex = await ledger(t)
  await dropAppendOnly(knex)
  const row = await knex('movements').where({ seq: 2 }).first()
  const { hash: _old, ...fields } = { ...row, note: 'forged' }
  await knex('movements')
    .where({ seq: 2 })
    .update({ note: 'forged', hash: hashMovement(fields) })
  const check = await verify(knex)
  t.match(check, { ok: false, differences: [{ kind: 'chain', seq: 3 }] })
  t.equal(check.differences.length, 1)
})

t.test('verify detects a deleted row as a gap and a broken link', async (t) => {
  const knex = await ledger(t)
  await dropAppendOnly(knex)
  await knex('movements').where({ seq: 3 }).delete()
  const check = await verify(knex)
  t.equal(check.ok, false)
  t.match(check.differences, [
    { kind: 'gap', seq: 4, expected: 3, actual: 4, message: 'movement 3 is missing' },
    { kind: 'chain', seq: 4 },
    { kind: 'balance-after', seq: 4, sku: 'BOLT-M8', expected: 11, actual: 7 },
    { kind: 'balance', sku: 'BOLT-M8', expected: 11, actual: 7 },
  ])
  t.equal(check.differences.length, 4)
  t.same(check.checked, { movements: 4, balances: 3 }, 'counts the rows actually read')
})

t.test('verify names the whole range of several deleted rows', async (t) => {
  const knex = await ledger(t)
  await dropAppendOnly(knex)
  await knex('movements').whereIn('seq', [1, 2, 3]).delete()
  const check = await verify(knex)
  t.match(check.differences, [
    { kind: 'gap', seq: 4, expected: 1, actual: 4, message: 'movements 1…3 are missing' },
    { kind: 'chain', seq: 4 },
  ])
})

t.test('verify detects a lost last movement that did not change the sum', async (t) => {
  const knex = await ledger(t)
  await dropAppendOnly(knex)
  await knex('movements').where({ seq: 5 }).delete() // NUT-M8's count that matched: delta 0
  const check = await verify(knex)
  t.match(check, {
    ok: false,
    differences: [
      { kind: 'head', seq: 5, message: 'movement 5 was removed from the end' },
      {
        kind: 'balance',
        sku: 'NUT-M8',
        expected: 2,
        actual: 5,
        message: "NUT-M8 records movement 5 as its last, the ledger's last is 2",
      },
    ],
  })
  t.equal(check.differences.length, 2)
})

t.test('verify detects a tampered balance', async (t) => {
  const knex = await ledger(t)
  await knex('balances').where({ sku: 'NUT-M8' }).update({ onHand: 25 })
  const check = await verify(knex)
  t.equal(check.differences.length, 1)
  t.match(check, {
    ok: false,
    differences: [
      {
        kind: 'balance',
        sku: 'NUT-M8',
        expected: 20,
        actual: 25,
        message: 'NUT-M8 shows 25 on hand, the ledger sums to 20',
      },
    ],
  })
})

t.test('verify detects an item moved in the ledger that has no balance', async (t) => {
  const knex = await ledger(t)
  await knex('balances').where({ sku: 'BOLT-M8' }).delete()
  t.same((await verify(knex)).differences, [
    {
      kind: 'balance',
      sku: 'BOLT-M8',
      expected: 7,
      actual: null,
      message: 'BOLT-M8 has movements but no balance',
    },
  ])
})

t.test('verify detects a ledger that takes stock below zero', async (t) => {
  const knex = await ledger(t)
  const head = await knex('movements').where({ seq: 5 }).first()
  const row = {
    seq: 6,
    type: 'adjustment' as const,
    sku: 'BOLT-M8',
    quantity: 9,
    delta: -9,
    countedQuantity: null,
    balanceAfter: 0,
    reference: '',
    note: '',
    createdAt: new Date().toISOString(),
    prevHash: head.hash,
  }
  await knex('movements').insert({ ...row, hash: hashMovement(row) })
  const check = await verify(knex)
  t.match(check.differences, [
    { kind: 'balance-after', seq: 6, sku: 'BOLT-M8', expected: -2, actual: 0 },
    { kind: 'negative', seq: 6, sku: 'BOLT-M8', actual: -2 },
    { kind: 'balance', sku: 'BOLT-M8', expected: -2, actual: 7 },
    { kind: 'balance', sku: 'BOLT-M8', expected: 6, actual: 4 },
  ])
  t.equal(check.differences.length, 4)
  await t.rejects(rebuild(knex), { code: 'CONFLICT', message: /-2 for BOLT-M8/ })
  t.match(await knex('balances').where({ sku: 'BOLT-M8' }).first(), { onHand: 7 })
})

t.test('rebuild leaves a clean ledger and its balances unchanged', async (t) => {
  const knex = await ledger(t)
  const balances = await knex('balances').orderBy('sku').select()
  t.same(await rebuild(knex), { rebuilt: 3, changes: [] })
  t.same(await knex('balances').orderBy('sku').select(), balances)
})

t.test('rebuild restores tampered balances from the ledger and reports each change', async (t) => {
  const knex = await ledger(t)
  const movements = await knex('movements').orderBy('seq').select()
  await knex('balances').where({ sku: 'NUT-M8' }).update({ onHand: 25 })
  await knex('balances').where({ sku: 'IDLE' }).update({ onHand: 3 })
  await knex('balances').where({ sku: 'BOLT-M8' }).delete()
  const result = await rebuild(knex)
  t.equal(result.rebuilt, 3)
  t.same(
    [...result.changes].sort((a, b) => a.sku.localeCompare(b.sku)),
    [
      { sku: 'BOLT-M8', before: null, after: 7 },
      { sku: 'IDLE', before: 3, after: 0 },
      { sku: 'NUT-M8', before: 25, after: 20 },
    ]
  )
  t.match(await knex('balances').where({ sku: 'BOLT-M8' }).first(), { onHand: 7, lastSeq: 4 })
  t.match(await verify(knex), { ok: true, differences: [] })
  t.same(await knex('movements').orderBy('seq').select(), movements, 'the ledger is not touched')
})

t.test('rebuild also repairs a balance that points at the wrong last movement', async (t) => {
  const knex = await ledger(t)
  await knex('balances').where({ sku: 'NUT-M8' }).update({ lastSeq: 2 })
  t.equal((await verify(knex)).ok, false)
  t.same(await rebuild(knex), { rebuilt: 3, changes: [] }, 'on hand did not change')
  t.match(await knex('balances').where({ sku: 'NUT-M8' }).first(), { onHand: 20, lastSeq: 5 })
  t.equal((await verify(knex)).ok, true)
})

/** Rewrites every row from `from` on with its hash recomputed, as a tamperer who knows the code. */
async function rehashFrom(knex: Knex, from: number) {
  const rows = await knex('movements').where('seq', '>=', from).orderBy('seq')
  let prevHash =
    (
      await knex('movements')
        .where({ seq: from - 1 })
        .first()
    )?.hash ?? '0'.repeat(64)
  for (const { hash: _old, ...row } of rows) {
    const hash = hashMovement({ ...row, prevHash })
    await knex('movements').where({ seq: row.seq }).update({ prevHash, hash })
    prevHash = hash
  }
  return prevHash
}

t.test('rebuild refuses to launder a last movement deleted with its balance fixed', async (t) => {
  const knex = await ledger(t)
  await dropAppendOnly(knex)
  await knex('movements').where({ seq: 5 }).delete()
  await knex('balances').where({ sku: 'NUT-M8' }).update({ lastSeq: 2 })
  const balances = await knex('balances').orderBy('sku').select()
  await t.rejects(rebuild(knex), {
    code: 'LEDGER_BROKEN',
    message:
      /^The ledger's hash chain is broken, so no balance can be rebuilt from it: movement 5 was removed from the end\. Restore/,
    details: [{ kind: 'head', seq: 5, expected: 5, actual: 4 }],
  })
  t.same(await knex('balances').orderBy('sku').select(), balances, 'nothing was rewritten')
})

t.test('rebuild refuses a ledger with a movement changed in the middle', async (t) => {
  const knex = await ledger(t)
  await dropAppendOnly(knex)
  await knex('movements').where({ seq: 3 }).update({ delta: -1, quantity: 1 })
  await t.rejects(rebuild(knex), {
    code: 'LEDGER_BROKEN',
    message: /: movement 3 was changed after it was written\. /,
  })
  t.match(await knex('balances').where({ sku: 'BOLT-M8' }).first(), { onHand: 7 })
})

t.test(
  'rebuild builds on the verify just finished, and chains the rows appended since',
  async (t) => {
    const knex = await ledger(t)
    t.match(await verify(knex), { ok: true })
    const head = await knex('movements').where({ seq: 5 }).first()
    const { hash: _, ...row } = { ...head, seq: 6, prevHash: 'f'.repeat(64) }
    await knex('movements').insert({ ...row, hash: hashMovement(row) })
    await t.rejects(rebuild(knex), {
      code: 'LEDGER_BROKEN',
      message: /: movement 6 does not link to the movement before it\. /,
    })
  }
)

t.test('verify catches a ledger edited and re-hashed to its end, by its head anchor', async (t) => {
  const knex = await ledger(t)
  await dropAppendOnly(knex)
  await knex('movements').where({ seq: 2 }).update({ reference: 'PO-FORGED' })
  const last = await rehashFrom(knex, 2)
  t.match(await verify(knex), {
    ok: false,
    differences: [
      { kind: 'head', seq: 5, message: 'movement 5 is not the one the head anchor recorded' },
    ],
  })
  await t.rejects(rebuild(knex), { code: 'LEDGER_BROKEN' })
  // The limit of an unkeyed chain on a disk the attacker controls (README): re-hash the anchor too.
  await knex('ledger_head').update({ hash: last })
  t.match(await verify(knex), { ok: true, differences: [] })
})
