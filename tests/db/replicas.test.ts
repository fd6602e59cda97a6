import t, { type Test } from 'tap'
import type { Knex } from 'knex'
import { pino } from 'pino'
import { runBatch } from '../../db/batch.ts'
import {
  PROTOCOL_VERSION,
  type FeedPage,
  type FeedPosition,
  type OpName,
  type Payload,
  type Result,
} from '../../db/contract/index.ts'
import { dispatch } from '../../db/dispatch.ts'
import { EMPTY_LEDGER, hashMovement, type Unhashed } from '../../db/ledger/hash.ts'
import { ensureIdentity } from '../../db/operations/node.ts'
import { testDb, tracedStatements } from '../fixtures/test-db.ts'

const log = pino({ level: 'silent' })
let counter = 0
const START: FeedPosition = { events: 0, ledger: EMPTY_LEDGER }

function envelope<O extends OpName>(op: O, payload: Payload<O>) {
  return { v: PROTOCOL_VERSION, id: `r-${++counter}`, op, payload, deadline: Date.now() + 60_000 }
}

/** One operation through the worker's admission and batch, as the runtime sends it. */
async function call<O extends OpName>(knex: Knex, op: O, payload: Payload<O>) {
  const [reply] = await runBatch(knex, [envelope(op, payload)], { log })
  return reply
}

async function ok<O extends OpName>(knex: Knex, op: O, payload: Payload<O>): Promise<Result<O>> {
  const reply = await call(knex, op, payload)
  if (!reply.ok) throw new Error(`${op}: ${reply.error.code} ${reply.error.message}`)
  return reply.data as Result<O>
}

/** An owner with two items, a few movements and an item change. */
async function owner(t: Parameters<typeof testDb>[0]) {
  const knex = await testDb(t)
  await ensureIdentity(knex, 'Norte')
  await runBatch(
    knex,
    [
      envelope('items.create', { sku: 'A', name: 'Bolt', unit: 'ea', reorderPoint: 5 }),
      envelope('items.create', { sku: 'B', name: 'Rope', unit: 'm' }),
      envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 10 }),
      envelope('movements.record', { type: 'receipt', sku: 'B', quantity: 7 }),
      envelope('movements.record', { type: 'issue', sku: 'A', quantity: 6 }),
      envelope('items.update', { sku: 'B', patch: { name: 'Rope 10 mm' } }),
      envelope('movements.record', { type: 'adjustment', sku: 'B', countedQuantity: 3 }),
    ],
    { log }
  )
  return knex
}

const feed = (knex: Knex, after: FeedPosition, limit = 100) =>
  ok(knex, 'events.feed', { after, limit, maxBytes: 1_000_000 })

const applyPage = (knex: Knex, after: FeedPosition, page: FeedPage, nodeId = 'norte') =>
  call(knex, 'replicas.apply', {
    nodeId,
    name: 'Norte',
    after,
    events: page.events,
    head: page.head,
    upToDate: page.upToDate,
  })

/** Pulls the owner's whole log into the replica, `limit` events a page. */
async function pullAll(from: Knex, into: Knex, limit: number) {
  let after = START
  for (let pages = 0; pages < 100; pages++) {
    const page = await feed(from, after, limit)
    const reply = await applyPage(into, after, page)
    if (!reply.ok) throw new Error(reply.error.message)
    after = (reply.data as Result<'replicas.apply'>).replica.cursor
    if (page.upToDate) return after
  }
  throw new Error('never up to date')
}

t.test(
  'a replica pulled page by page holds the owner ledger, balances and catalogue',
  async (t) => {
    const from = await owner(t)
    const into = await testDb(t)
    const cursor = await pullAll(from, into, 2)
    const own = await ok(from, 'movements.list', { limit: 100, order: 'asc' })
    const held = await ok(into, 'replicas.movements', { nodeId: 'norte', limit: 100, order: 'asc' })
    t.same(held, own, 'the same rows, same seqs and hashes')
    t.same(cursor, { events: 7, ledger: { seq: 4, hash: own.movements[3].hash } })
    const replica = await ok(into, 'replicas.get', { nodeId: 'norte' })
    t.match(replica, { name: 'Norte', state: 'live', reason: null, head: { events: 7 } })
    t.ok(replica.caughtUpAt, 'caught up: as of now')
    const { replicas } = await ok(into, 'replicas.stock', {})
    t.match(replicas, [
      {
        nodeId: 'norte',
        name: 'Norte',
        state: 'live',
        ledger: cursor.ledger,
        events: 7,
        asOf: replica.caughtUpAt,
        stock: [
          { sku: 'A', name: 'Bolt', unit: 'ea', reorderPoint: 5, onHand: 4, low: true, lastSeq: 3 },
          { sku: 'B', name: 'Rope 10 mm', unit: 'm', reorderPoint: null, onHand: 3, low: false },
        ],
      },
    ])
    const low = await ok(into, 'replicas.stock', { low: true })
    t.same(
      low.replicas[0].stock.map((s) => s.sku),
      ['A']
    )
    const one = await ok(into, 'replicas.stock', { skus: ['B', 'NONE'] })
    t.same(
      one.replicas[0].stock.map((s) => [s.sku, s.onHand]),
      [['B', 3]]
    )
    t.match(await ok(into, 'replicas.verify', { nodeId: 'norte' }), {
      ok: true,
      checked: { movements: 4, balances: 2 },
    })
    const events = await into('replica_events').orderBy('seq').select('seq', 'type')
    t.same(
      events.map((e) => e.seq),
      [1, 2, 3, 4, 5, 6, 7],
      'every event, of every type, verbatim'
    )
  }
)

t.test('texts a script could trip on are held exactly: quotes, a NUL, a comment', async (t) => {
  const from = await owner(t)
  const notes = ["O'Brien's -- not a comment", 'a\0b', "'; DROP TABLE replica_movements; --"]
  await runBatch(
    from,
    notes.map((note) =>
      envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 1, note })
    ),
    { log }
  )
  const into = await testDb(t)
  await pullAll(from, into, 3)
  const own = await ok(from, 'movements.list', { limit: 100, order: 'asc' })
  const held = await ok(into, 'replicas.movements', { nodeId: 'norte', limit: 100, order: 'asc' })
  t.same(held, own)
  t.same(
    held.movements.slice(-3).map((m) => m.note),
    notes
  )
  t.match(await ok(into, 'replicas.verify', { nodeId: 'norte' }), { ok: true })
})

t.test(
  'long runs of movement events are stored from their rows, and every event is held as sent',
  async (t) => {
    const from = await owner(t)
    const receipts = (n: number, sku: string) =>
      Array.from({ length: n }, () =>
        envelope('movements.record', { type: 'receipt', sku, quantity: 1 })
      )
    // Three batches: a batch posts its movements together, before its other writes.
    await runBatch(from, receipts(40, 'A'), { log })
    await runBatch(from, [envelope('items.update', { sku: 'A', patch: { name: 'Bolt M8' } })], {
      log,
    })
    await runBatch(from, receipts(45, 'B'), { log })
    const into = await testDb(t)
    const statements = await tracedStatements(into)
    const page = await feed(from, START, 200)
    // An event may say other than its row (an owner of another version): a subject, a time.
    // Here the first of the 35 receipts of B, after the ten before it.
    const update = page.events.findLastIndex((e) => e.type === 'item.updated')
    const odd = update + 11
    t.match(page.events[odd], { type: 'movement.recorded', subject: 'B' })
    page.events[odd] = { ...page.events[odd], subject: 'other', createdAt: '2026-01-01T00:00:00Z' }
    t.match(await applyPage(into, START, page), {
      ok: true,
      data: { applied: page.events.length },
    })

    const copies = statements.filter((sql) => /INSERT INTO replica_events[^]*SELECT/.test(sql))
    // The 40 receipts of A, and the 34 of B after the odd event; the ten before it are too few
    // to be copied apart.
    t.equal(copies.length, 2, 'two runs copied from their rows')
    const held = await into('replica_events')
      .where({ node_id: 'norte' })
      .orderBy('seq')
      .select('seq', 'type', 'subject', 'data', 'created_at as createdAt')
    t.same(
      held.map(({ seq, type, subject, createdAt }) => ({ seq, type, subject, createdAt })),
      page.events.map(({ seq, type, subject, createdAt }) => ({ seq, type, subject, createdAt })),
      'every event in order, its subject and time as the page had them'
    )
    t.same(
      held.filter((e) => e.type === 'movement.recorded').map((e) => e.data),
      page.events
        .filter((e) => e.type === 'movement.recorded')
        .map((e) => String((e.data as { seq: number }).seq)),
      "a movement's event keeps its row's seq"
    )
    const served = await ok(into, 'replicas.feed', {
      nodeId: 'norte',
      after: START,
      limit: 200,
      maxBytes: 1_000_000,
    })
    t.same(served.events, page.events, 'served again exactly as the owner sent it')
    t.match(await ok(into, 'replicas.verify', { nodeId: 'norte' }), { ok: true })
  }
)

t.test('a page applied twice is refused the second time and changes nothing', async (t) => {
  const from = await owner(t)
  const into = await testDb(t)
  const page = await feed(from, START, 3)
  t.ok((await applyPage(into, START, page)).ok)
  const before = await ok(into, 'replicas.get', { nodeId: 'norte' })
  t.match(await applyPage(into, START, page), {
    ok: false,
    error: { code: 'CONFLICT', details: { cursor: before.cursor } },
  })
  t.same(await ok(into, 'replicas.get', { nodeId: 'norte' }), before)
  t.equal((await into('replica_events').count({ n: '*' }))[0].n, 3)
})

/** `page` applied breaks the replica for `reason`, saying `message`, and nothing of it is held. */
async function brokenAndEmpty(
  t: Test,
  into: Knex,
  page: FeedPage,
  reason: string,
  message: RegExp
) {
  const reply = await applyPage(into, START, page)
  t.match(reply, { ok: true, data: { applied: 0, replica: { state: 'broken', reason } } })
  const replica = await ok(into, 'replicas.get', { nodeId: 'norte' })
  t.match(replica.lastError, message)
  t.same(replica.cursor, START)
  for (const table of ['replica_events', 'replica_movements', 'replica_balances', 'replica_items'])
    t.equal((await into(table).count({ n: '*' }))[0].n, 0, `nothing in ${table}`)
}

/** A page of the owner's whole log with one event changed by `edit`. */
async function tampered(from: Knex, edit: (page: FeedPage) => void) {
  const page = await feed(from, START)
  edit(page)
  return page
}

const breaks: [string, (page: FeedPage) => void, string, RegExp][] = [
  [
    'a row whose quantity was changed',
    (p) => Object.assign(p.events[3].data as object, { delta: 70, balanceAfter: 70 }),
    'chain_broken',
    /row 2 does not hash/,
  ],
  [
    'a row that links elsewhere',
    (p) => Object.assign(p.events[3].data as object, { prevHash: 'f'.repeat(64) }),
    'chain_broken',
    /row 2 does not link/,
  ],
  ['an event missing', (p) => p.events.splice(1, 1), 'gap', /event 2 is missing/],
  [
    'a ledger row missing (its event swapped for another kind)',
    (p) => Object.assign(p.events[2], { type: 'item.updated', data: {} }),
    'gap',
    /ledger row 1 is missing/,
  ],
  [
    'an event that carries no ledger row',
    (p) => Object.assign(p.events[2], { data: { seq: 1 } }),
    'chain_broken',
    /carries no whole ledger row/,
  ],
  ...(
    [
      ['a quantity in text', { quantity: '10' }],
      ['a fractional change', { delta: 0.5 }],
      ['no counted quantity', { countedQuantity: undefined }],
      ['a number for a transfer id', { transferId: 7 }],
    ] as const
  ).map(([what, fields]): (typeof breaks)[number] => [
    `a row with ${what}`,
    (p) => Object.assign(p.events[2].data as object, fields),
    'chain_broken',
    /event 3 carries no whole ledger row/,
  ]),
  [
    'an event with no data',
    (p) => Object.assign(p.events[2], { data: null }),
    'chain_broken',
    /carries no whole ledger row/,
  ],
]

for (const [what, edit, reason, message] of breaks) {
  t.test(`${what} breaks the replica, and nothing of its page is applied`, async (t) => {
    const from = await owner(t)
    const into = await testDb(t)
    await brokenAndEmpty(t, into, await tampered(from, edit), reason, message)
    const good = await feed(from, START)
    t.match(await applyPage(into, START, good), {
      ok: false,
      error: { code: 'CONFLICT', message: /is broken/ },
    })
    // Mended from its cursor (its owner holds that row as it does), it takes the good page, and
    // only from there.
    const elsewhere = { ...START, events: 3 }
    t.match(await call(into, 'replicas.mend', { nodeId: 'norte', cursor: elsewhere }), {
      ok: false,
      error: { code: 'CONFLICT', message: /stands at event 0, not 3/ },
    })
    t.match(await ok(into, 'replicas.mend', { nodeId: 'norte', cursor: START }), {
      state: 'catching_up',
      reason: null,
      lastError: null,
      cursor: START,
    })
    t.match(await applyPage(into, START, good), { ok: true, data: { applied: good.events.length } })
    t.match(
      await ok(into, 'replicas.mend', { nodeId: 'norte', cursor: START }),
      { state: 'live' },
      'a replica not broken is left as it is'
    )
  })
}

t.test(
  'a row that chains and hashes but breaks a rule of the tables breaks the replica, nothing applied',
  async (t) => {
    const from = await owner(t)
    const into = await testDb(t)
    // The last row made a return of rope never sent, and hashed again: sent would go below 0.
    const page = await tampered(from, (p) => {
      const last = p.events.findLast((e) => e.type === 'movement.recorded')!
      const { hash: _hash, ...row } = last.data as Unhashed & { hash: string }
      const unhashed = {
        ...row,
        type: 'transfer_return',
        transferId: '0b5c1c2e-7f4d-4c3a-9e8b-1a2b3c4d5e6f',
        delta: 2,
        quantity: 2,
        countedQuantity: null,
        balanceAfter: 9,
      }
      last.data = { ...unhashed, hash: hashMovement(unhashed) }
    })
    await brokenAndEmpty(
      t,
      into,
      page,
      'chain_broken',
      /breaks a rule of the ledger's tables .*sent/
    )
  }
)

t.test('the owner feed refuses a position its ledger does not have, as FORKED', async (t) => {
  const from = await owner(t)
  const first = await feed(from, START, 4)
  const at = { events: 4, ledger: { seq: 2, hash: 'e'.repeat(64) } }
  t.match(await call(from, 'events.feed', { after: at, limit: 10, maxBytes: 1000 }), {
    ok: false,
    error: { code: 'FORKED', details: { seq: 2, hash: (first.events[3].data as any).hash } },
  })
  const beyond = { events: 9, ledger: { seq: 9, hash: 'e'.repeat(64) } }
  t.match(await call(from, 'events.feed', { after: beyond, limit: 10, maxBytes: 1000 }), {
    ok: false,
    error: { code: 'FORKED', details: { hash: null } },
  })
  t.same(first.upToDate, false)
  t.same(first.head.events, 7)
  const cut = await ok(from, 'events.feed', { after: START, limit: 100, maxBytes: 1 })
  t.equal(cut.events.length, 1, 'maxBytes cuts the page, one event at least')
})

t.test('a replica serves the log it holds, and the hashes it holds', async (t) => {
  const from = await owner(t)
  const into = await testDb(t)
  await pullAll(from, into, 100)
  const served = await ok(into, 'replicas.feed', {
    nodeId: 'norte',
    after: START,
    limit: 100,
    maxBytes: 1_000_000,
  })
  t.same(served, await feed(from, START), 'the same page as the owner serves')
  const stored = await into('replica_events')
    .where({ type: 'movement.recorded' })
    .orderBy('seq')
    .pluck('data')
  t.same(stored, ['1', '2', '3', '4'], "a movement's row is stored once, its event keeps its seq")
  t.same(
    await ok(into, 'replicas.hashes', { nodeId: 'norte', seqs: [2, 4, 9] }),
    await ok(from, 'ledger.hashes', { seqs: [2, 4, 9] })
  )
  t.match(await call(into, 'replicas.hashes', { nodeId: 'sur', seqs: [1] }), {
    ok: false,
    error: { code: 'NOT_FOUND' },
  })
})

t.test('a page as its text is the same page: from the owner and from a replica', async (t) => {
  const from = await owner(t)
  const into = await testDb(t)
  await pullAll(from, into, 100)
  const asText = async <O extends 'events.feedText' | 'replicas.feedText'>(
    knex: Knex,
    op: O,
    payload: Payload<O>
  ) => {
    const { text, events } = (await ok(knex, op, payload)) as { text: string; events: number }
    const page = JSON.parse(text) as FeedPage
    t.equal(events, page.events.length, 'it says how many events it holds')
    return page
  }
  const second = (await feed(from, START, 3)).events[2]
  const at = { events: 3, ledger: { seq: 1, hash: (second.data as { hash: string }).hash } }
  for (const [after, limit, maxBytes] of [
    [START, 100, 1_000_000],
    [START, 3, 1_000_000],
    [at, 100, 1_000_000],
    [START, 100, 1],
    [{ events: 7, ledger: (await feed(from, START)).head.ledger }, 100, 1_000_000],
  ] as const) {
    const asked = { after, limit, maxBytes }
    const own = await ok(from, 'events.feed', asked)
    t.same(await asText(from, 'events.feedText', asked), own, `the owner's, after ${after.events}`)
    t.same(
      await asText(into, 'replicas.feedText', { nodeId: 'norte', ...asked }),
      own,
      `the replica's, after ${after.events}`
    )
  }
  const forked = { events: 4, ledger: { seq: 2, hash: 'e'.repeat(64) } }
  for (const [knex, op, extra] of [
    [from, 'events.feedText', {}],
    [into, 'replicas.feedText', { nodeId: 'norte' }],
  ] as const) {
    t.match(await call(knex, op, { ...extra, after: forked, limit: 10, maxBytes: 1000 } as never), {
      ok: false,
      error: { code: 'FORKED', details: { seq: 2 } },
    })
  }
  t.match(
    await call(into, 'replicas.feedText', { nodeId: 'sur', after: START, limit: 1, maxBytes: 1 }),
    { ok: false, error: { code: 'NOT_FOUND' } }
  )
})

/** A replica of five events of norte's, its rows open to a change made on disk by hand. */
async function replicaToDamage(t: Parameters<typeof testDb>[0]) {
  const from = await owner(t)
  const into = await testDb(t)
  await applyPage(into, START, await feed(from, START, 5))
  const { cursor } = await ok(into, 'replicas.get', { nodeId: 'norte' })
  await into.raw('DROP TRIGGER replica_movements_append_only_update')
  return { from, into, cursor }
}

t.test(
  'a replica row changed on disk is reported by verify and breaks the next page',
  async (t) => {
    const { from, into, cursor } = await replicaToDamage(t)
    await into('replica_movements').where({ nodeId: 'norte', seq: 3 }).update({ delta: -1 })
    const check = await ok(into, 'replicas.verify', { nodeId: 'norte' })
    t.equal(check.ok, false)
    t.match(check.differences, [{ kind: 'hash', seq: 3 }])
    const next = await feed(from, cursor)
    t.match(await applyPage(into, cursor, next), {
      ok: true,
      data: { applied: 0, replica: { state: 'broken', reason: 'chain_broken' } },
    })
    t.match((await ok(into, 'replicas.get', { nodeId: 'norte' })).lastError, /on this node's disk/)
    // Its owner holds that row as it was; this disk does not: it is not mended.
    t.match(await ok(into, 'replicas.mend', { nodeId: 'norte', cursor }), {
      state: 'broken',
      reason: 'chain_broken',
    })
  }
)

t.test(
  'a replica that verify broke for a row changed on disk, far from its last ones, is not mended',
  async (t) => {
    const from = await owner(t)
    const into = await testDb(t)
    await applyPage(into, START, await feed(from, START))
    const { cursor } = await ok(into, 'replicas.get', { nodeId: 'norte' })
    t.equal(cursor.ledger.seq, 4, 'four rows: the first is not among the last two')
    await into.raw('DROP TRIGGER replica_movements_append_only_update')
    await into('replica_movements').where({ nodeId: 'norte', seq: 1 }).update({ delta: 99 })
    const message = "verify found the replica's row 1 changed on this node's disk"
    await ok(into, 'replicas.break', { nodeId: 'norte', reason: 'chain_broken', message })
    // Its owner holds the cursor's row as the replica does: mended, it would build on row 1.
    const kept = await ok(into, 'replicas.mend', { nodeId: 'norte', cursor })
    t.match(kept, {
      state: 'broken',
      reason: 'chain_broken',
      lastError:
        /^verify found the replica's row 1 changed .*; not mended: verify finds movement 1 was changed after it was written on this node's disk \(reseed it\)$/,
    })
    const again = await ok(into, 'replicas.mend', { nodeId: 'norte', cursor })
    t.equal(again.lastError, kept.lastError, 'said once, however often it is asked')
  }
)

t.test(
  'a replica row holding what JSON cannot (a BLOB written behind the node) breaks the next page',
  async (t) => {
    const { from, into, cursor } = await replicaToDamage(t)
    await into.raw(
      `UPDATE replica_movements SET note = X'00ff' WHERE node_id = 'norte' AND seq = ?`,
      [cursor.ledger.seq]
    )
    const next = await feed(from, cursor)
    t.match(await applyPage(into, cursor, next), {
      ok: true,
      data: { applied: 0, replica: { state: 'broken', reason: 'chain_broken' } },
    })
    t.match((await ok(into, 'replicas.get', { nodeId: 'norte' })).lastError, /on this node's disk/)
  }
)

t.test('the schema keeps replica rows numbered, chained and append-only', async (t) => {
  const from = await owner(t)
  const into = await testDb(t)
  await pullAll(from, into, 100)
  const row = await into('replica_movements').where({ seq: 4 }).first()
  const next = { ...row, seq: 5, prevHash: 'f'.repeat(64) }
  await t.rejects(into('replica_movements').insert(next), { message: /chained/ })
  await t.rejects(into('replica_movements').insert({ ...next, seq: 6, prevHash: row.hash }), {
    message: /chained/,
  })
  await t.rejects(into('replica_movements').update({ note: 'x' }), { message: /append-only/ })
  await t.rejects(into('replica_movements').delete(), { message: /append-only/ })
  const event = { nodeId: 'norte', type: 'x', subject: 'x', data: '{}', createdAt: 'now' }
  await t.rejects(into('replica_events').insert({ ...event, seq: 9 }), { message: /without gaps/ })
  await t.rejects(into('replica_events').delete(), { message: /append-only/ })
  await into('replica_events').insert({ ...event, nodeId: 'sur', seq: 1 })
  // A reseed of another replica lets no delete of this one's rows through.
  await into('node_settings').insert({ key: 'reseeding', value: 'sur' })
  await t.rejects(into('replica_movements').where({ nodeId: 'norte' }).delete(), {
    message: /append-only/,
  })
})

t.test(
  'replicas.reseed drops a replica whole, and it is pulled afresh from its owner',
  async (t) => {
    const from = await owner(t)
    const into = await testDb(t)
    await pullAll(from, into, 3)
    t.match(await call(into, 'replicas.reseed', { nodeId: 'norte' }), {
      ok: false,
      error: { code: 'CONFLICT', message: /is live, not broken: nothing to reseed/ },
    })
    await ok(into, 'replicas.break', { nodeId: 'norte', reason: 'forked', message: 'parted' })
    const { dropped } = await ok(into, 'replicas.reseed', { nodeId: 'norte' })
    t.match(dropped, { events: 7, movements: 4, was: { state: 'broken', reason: 'forked' } })
    for (const table of [
      'replica_events',
      'replica_movements',
      'replica_balances',
      'replica_items',
      'replicas',
    ])
      t.equal((await into(table).count({ n: '*' }))[0].n, 0, `nothing left in ${table}`)
    t.equal(await into('node_settings').where({ key: 'reseeding' }).first(), undefined)
    t.match(await call(into, 'replicas.reseed', { nodeId: 'norte' }), {
      ok: false,
      error: { code: 'NOT_FOUND' },
    })
    const cursor = await pullAll(from, into, 100)
    t.match(await ok(into, 'replicas.get', { nodeId: 'norte' }), { state: 'live', cursor })
    t.ok((await ok(into, 'replicas.verify', { nodeId: 'norte' })).ok, 'whole again')
  }
)

t.test('replicas.movements pages and filters as movements.list does', async (t) => {
  const from = await owner(t)
  const into = await testDb(t)
  await pullAll(from, into, 100)
  const filters: Payload<'movements.list'>[] = [
    { limit: 2 },
    { limit: 10, sku: 'A' },
    { limit: 10, type: 'adjustment', order: 'asc' },
  ]
  for (const filter of filters) {
    const own = await ok(from, 'movements.list', filter)
    t.same(await ok(into, 'replicas.movements', { ...filter, nodeId: 'norte' }), own)
    if (own.nextCursor) {
      const more = { ...filter, cursor: own.nextCursor }
      t.same(
        await ok(into, 'replicas.movements', { ...more, nodeId: 'norte' }),
        await ok(from, 'movements.list', more)
      )
    }
  }
  t.match(await call(into, 'replicas.movements', { nodeId: 'nobody', limit: 1 }), {
    ok: false,
    error: { code: 'NOT_FOUND' },
  })
})

t.test('an empty up-to-date page moves the as-of time and nothing else', async (t) => {
  const from = await owner(t)
  const into = await testDb(t)
  const cursor = await pullAll(from, into, 100)
  const before = await ok(into, 'replicas.get', { nodeId: 'norte' })
  await new Promise((resolve) => setTimeout(resolve, 5))
  const empty = await feed(from, cursor)
  t.same(empty.events, [])
  t.ok((await applyPage(into, cursor, empty)).ok)
  const after = await ok(into, 'replicas.get', { nodeId: 'norte' })
  t.same(after.cursor, before.cursor)
  t.ok((after.caughtUpAt as string) > (before.caughtUpAt as string))
})

t.test('replicas.break marks a replica forked', async (t) => {
  const into = await testDb(t)
  t.match(await ok(into, 'replicas.break', { nodeId: 'x', reason: 'forked', message: 'm' }), {
    nodeId: 'x',
    state: 'broken',
    reason: 'forked',
    lastError: 'm',
  })
  t.match(await ok(into, 'replicas.list', {}), { replicas: [{ nodeId: 'x' }] })
  t.match(await call(into, 'replicas.get', { nodeId: 'y' }), {
    ok: false,
    error: { code: 'NOT_FOUND' },
  })
  t.match(await dispatch(into, envelope('replicas.stock', { skus: ['A'] }), { log }), {
    ok: true,
    data: { replicas: [{ nodeId: 'x', stock: [] }] },
  })
})
