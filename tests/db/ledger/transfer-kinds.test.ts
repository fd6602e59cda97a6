// The ledger's transfer kinds (db/ledger/kinds.ts): what each posts, what it adds to the sent and
// received projections, what it hashes, and how the verify, the rebuild, the check at start and
// the replicas see them.
import t from 'tap'
import type { Knex } from 'knex'
import { pino } from 'pino'
import { runBatch } from '../../../db/batch.ts'
import {
  PROTOCOL_VERSION,
  type FeedPosition,
  type Movement,
  type OpName,
  type Payload,
  type Result,
} from '../../../db/contract/index.ts'
import { EMPTY_LEDGER, hashedJsonSql, hashMovement, sha256 } from '../../../db/ledger/hash.ts'
import type { KindInput } from '../../../db/ledger/kinds.ts'
import { post } from '../../../db/ledger/post.ts'
import { LedgerRun, recordRun } from '../../../db/ledger/record.ts'
import { sumsSql } from '../../../db/ledger/projections.ts'
import { OWN_LEDGER } from '../../../db/ledger/rows.ts'
import { checkHeadAndBalances } from '../../../db/ledger/start-check.ts'
import { create } from '../../../db/operations/items.ts'
import { rebuild, verify } from '../../../db/operations/ledger.ts'
import { ensureIdentity } from '../../../db/operations/node.ts'
import { withSql } from '../../../db/sql.ts'
import { testDb } from '../../fixtures/test-db.ts'

const AT = '2026-12-31T10:00:00.000Z'
const T = { transferId: 'T-1', counterparty: 'node-b' }
const log = pino({ level: 'silent' })

const input = (type: string, sku: string, quantity: number) =>
  ({ type, sku, quantity, ...T }) as KindInput

function state(onHand: number) {
  return {
    head: EMPTY_LEDGER,
    stock: new Map([['ROPE', { onHand, unit: 'm', sent: 0, received: 0 }]]),
    warehouse: 'Norte',
  }
}

t.test('each transfer kind posts its delta, quantity and projection', async (t) => {
  const cases: [string, number, Record<string, number>][] = [
    ['transfer_out', 4, { delta: -4, quantity: 4, balanceAfter: 6, sent: 4, received: 0 }],
    ['transfer_in', 4, { delta: 4, quantity: 4, balanceAfter: 14, sent: 0, received: 4 }],
    ['transfer_in', -3, { delta: -3, quantity: 3, balanceAfter: 7, sent: 0, received: -3 }],
    ['transfer_return', 2, { delta: 2, quantity: 2, balanceAfter: 12, sent: -2, received: 0 }],
    ['transfer_writeoff', 5, { delta: 0, quantity: 5, balanceAfter: 10, sent: -5, received: 0 }],
  ]
  for (const [type, quantity, expected] of cases) {
    const posting = post(state(10), input(type, 'ROPE', quantity), AT)
    if (!posting.ok) throw posting.refusal
    const { delta, quantity: q, balanceAfter } = posting.movement
    const { sent, received } = posting.balance
    t.same({ delta, quantity: q, balanceAfter, sent, received }, expected, `${type} ${quantity}`)
    t.match(posting.movement, { transferId: 'T-1', counterparty: 'node-b' })
  }
  t.match(post(state(3), input('transfer_out', 'ROPE', 5), AT), {
    ok: false,
    refusal: {
      code: 'INSUFFICIENT_STOCK',
      message: 'Cannot send 5 m of ROPE in Norte: only 3 m on hand, short by 2',
    },
  })
})

t.test(
  'the transfer and the peer are hashed: a row moved to another is a changed row',
  async (t) => {
    const posting = post(state(10), input('transfer_out', 'ROPE', 4), AT)
    if (!posting.ok) throw posting.refusal
    const row = posting.movement
    t.equal(hashMovement(row), row.hash)
    t.not(hashMovement({ ...row, transferId: 'T-2' }), row.hash)
    t.not(hashMovement({ ...row, counterparty: 'node-c' }), row.hash)
    const receipt = post(state(0), { type: 'receipt', sku: 'ROPE', quantity: 1 } as KindInput, AT)
    if (!receipt.ok) throw receipt.refusal
    const { transferId: _t, counterparty: _c, ...before } = receipt.movement
    t.equal(hashMovement(before as Movement), receipt.movement.hash, "a receipt's hash as before")
    t.match(hashedJsonSql(), /WHEN 'transfer_out' THEN json_array\(.*transfer_id, counterparty\)/)
  }
)

type T = Parameters<typeof testDb>[0] & { ok(value: unknown, message: string): unknown }

async function warehouse(t: T) {
  const knex = await testDb(t)
  await ensureIdentity(knex, 'Norte')
  await create(knex, { sku: 'ROPE', name: 'Rope', unit: 'm' })
  await create(knex, { sku: 'BOLT', name: 'Bolt', unit: 'ea' })
  const outcomes = await recordRun(knex, [
    { type: 'receipt', sku: 'ROPE', quantity: 20 } as KindInput,
    input('transfer_out', 'ROPE', 8),
    input('transfer_writeoff', 'ROPE', 1),
    input('transfer_return', 'ROPE', 2),
    input('transfer_in', 'BOLT', 6),
    input('transfer_in', 'BOLT', -1),
  ])
  t.ok(
    outcomes.every((o) => o.ok),
    JSON.stringify(outcomes)
  )
  return knex
}

const balances = (knex: Knex) =>
  knex('balances').orderBy('sku').select('sku', 'onHand', 'sent', 'received')

t.test('balances project sent and received; the verify finds them whole', async (t) => {
  const knex = await warehouse(t)
  t.same(await balances(knex), [
    { sku: 'BOLT', onHand: 5, sent: 0, received: 5 },
    { sku: 'ROPE', onHand: 14, sent: 5, received: 0 },
  ])
  t.match(await verify(knex), { ok: true, checked: { movements: 6, balances: 2 } })
  const texts = await withSql(knex, (sql) =>
    sql.all<{ text: string; hash: string }>(
      `SELECT ${hashedJsonSql()} AS text, hash FROM movements`
    )
  )
  t.same(
    texts.map((r) => sha256(r.text)),
    texts.map((r) => r.hash),
    "SQLite's text of every row, transfer rows too, hashes to its hash"
  )
})

t.test('a drifted sent or received is found by verify and at start, and rebuilt', async (t) => {
  const knex = await warehouse(t)
  await knex('balances').where({ sku: 'ROPE' }).update({ sent: 9 })
  await knex('balances').where({ sku: 'BOLT' }).update({ received: 0 })
  const check = await verify(knex)
  t.equal(check.ok, false)
  t.same(
    check.differences.map((d) => d.message),
    ['BOLT shows 0 received, the ledger sums to 5', 'ROPE shows 9 sent, the ledger sums to 5']
  )
  const atStart = await withSql(knex, checkHeadAndBalances)
  t.same(
    atStart.problems.map((p) => p.message),
    check.differences.map((d) => d.message)
  )
  await rebuild(knex)
  t.same(await balances(knex), [
    { sku: 'BOLT', onHand: 5, sent: 0, received: 5 },
    { sku: 'ROPE', onHand: 14, sent: 5, received: 0 },
  ])
  t.match(await verify(knex), { ok: true })
})

t.test('the projections are summed in one pass over the rows, not row by row', async (t) => {
  // The SKU index does not hold the columns summed: through it SQLite reads every row from the
  // table out of order, several times slower on a large ledger (verify, start, restore).
  const knex = await warehouse(t)
  const plans = await withSql(knex, async (sql) => {
    const plan = (text: string, params: unknown[] = []) =>
      sql.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${text}`, params)
    return {
      own: await plan(sumsSql(OWN_LEDGER)),
      replica: await plan(sumsSql({ table: 'replica_movements', nodeId: 'B' }), ['B']),
    }
  })
  t.same(
    plans.own.map((p) => p.detail),
    ['SCAN movements', 'USE TEMP B-TREE FOR GROUP BY'],
    JSON.stringify(plans.own)
  )
  t.same(
    plans.replica.map((p) => p.detail),
    ['SEARCH replica_movements USING PRIMARY KEY (node_id=?)', 'USE TEMP B-TREE FOR GROUP BY'],
    JSON.stringify(plans.replica)
  )
})

t.test(
  'LedgerRun.post: each group posted whole or refused whole, the others going on',
  async (t) => {
    const knex = await warehouse(t)
    const results = await withSql(knex, async (sql) => {
      const run = await LedgerRun.open(sql, ['ROPE', 'BOLT'])
      const posted = run.post([
        [input('transfer_out', 'ROPE', 2), input('transfer_out', 'BOLT', 50)],
        [input('transfer_out', 'ROPE', 3), input('transfer_out', 'BOLT', 1)],
        // Short only after the group before it: 14 - 3 = 11 ROPE left.
        [input('transfer_out', 'ROPE', 12)],
      ])
      await sql.script(await run.statements(knex, sql))
      return posted
    })
    t.match(results, [
      { ok: false, refusals: [{ code: 'INSUFFICIENT_STOCK', details: { sku: 'BOLT' } }] },
      {
        ok: true,
        movements: [
          { seq: 7, sku: 'ROPE', delta: -3 },
          { seq: 8, sku: 'BOLT', delta: -1 },
        ],
      },
      { ok: false, refusals: [{ details: { sku: 'ROPE', onHand: 11, requested: 12 } }] },
    ])
    t.equal((await knex('movements').count({ n: '*' }).first())?.n, 8, 'the one group written')
    t.same(await balances(knex), [
      { sku: 'BOLT', onHand: 4, sent: 1, received: 5 },
      { sku: 'ROPE', onHand: 11, sent: 8, received: 0 },
    ])
    t.match(await verify(knex), { ok: true })
  }
)

function envelope<O extends OpName>(op: O, payload: Payload<O>) {
  return { v: PROTOCOL_VERSION, id: `r-${Math.random()}`, op, payload, deadline: Date.now() + 6e4 }
}
async function ok<O extends OpName>(knex: Knex, op: O, payload: Payload<O>): Promise<Result<O>> {
  const [reply] = await runBatch(knex, [envelope(op, payload)], { log })
  if (!reply.ok) throw new Error(`${op}: ${reply.error.code} ${reply.error.message}`)
  return reply.data as Result<O>
}

t.test(
  'a replica projects the transfer rows, checks their hashes and tells sent and received',
  async (t) => {
    const owner = await warehouse(t)
    const reader = await testDb(t)
    await ensureIdentity(reader, 'Sur')
    const start: FeedPosition = { events: 0, ledger: EMPTY_LEDGER }
    const page = await ok(owner, 'events.feed', { after: start, limit: 100, maxBytes: 1e6 })
    const applied = await ok(reader, 'replicas.apply', {
      nodeId: 'node-a',
      name: 'Norte',
      after: start,
      events: page.events,
      head: page.head,
      upToDate: page.upToDate,
    })
    t.match(applied.replica, { state: 'live', cursor: { ledger: { seq: 6 } } })
    t.match(await ok(reader, 'replicas.verify', { nodeId: 'node-a' }), { ok: true })
    const { replicas } = await ok(reader, 'replicas.stock', {})
    t.match(replicas[0].stock, [
      { sku: 'BOLT', onHand: 5, sent: 0, received: 5 },
      { sku: 'ROPE', onHand: 14, sent: 5, received: 0 },
    ])

    // A transfer row whose transfer id was changed on the way does not hash: the replica breaks.
    const other = await testDb(t)
    const forged = page.events.map((e) =>
      e.type === 'movement.recorded' && (e.data as Movement).seq === 2
        ? { ...e, data: { ...(e.data as Movement), transferId: 'T-9' } }
        : e
    )
    const broken = await ok(other, 'replicas.apply', {
      nodeId: 'node-a',
      after: start,
      events: forged,
      head: page.head,
      upToDate: true,
    })
    t.match(broken.replica, { state: 'broken', reason: 'chain_broken' })
  }
)

t.test('a run opened on no SKU reads nothing and posts nothing', async (t) => {
  const knex = await warehouse(t)
  const read: string[] = []
  await withSql(knex, async (sql) => {
    const watched = {
      ...sql,
      all: <T>(text: string, params?: unknown[]) => (read.push(text), sql.all<T>(text, params)),
    }
    const run = await LedgerRun.open(watched, [])
    t.same(read, [], 'no state read: a dispatch arriving moves no stock here')
    t.same(run.post([[], []]), [
      { ok: true, movements: [] },
      { ok: true, movements: [] },
    ])
    t.throws(() => run.post([[input('transfer_out', 'ROPE', 1)]]), /no SKU/)
    t.same(await run.statements(knex, sql), [], 'and has nothing to write')
  })
})
