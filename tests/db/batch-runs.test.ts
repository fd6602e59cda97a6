// Runs: a batch decides a run of movements.record at once (a few statements) and all its stock.get
// in one statement, through the same functions as one envelope alone. A run must answer and write
// exactly what executing the same envelopes one by one does.
import t from 'tap'
import type { Knex } from 'knex'
import { pino } from 'pino'
import { PROTOCOL_VERSION, type OpName, type Payload, type Stock } from '../../db/contract/index.ts'
import { runBatch } from '../../db/batch.ts'
import { dispatch } from '../../db/dispatch.ts'
import { operations, type OperationTable } from '../../db/operations/index.ts'
import { ensureIdentity } from '../../db/operations/node.ts'
import { testDb } from '../fixtures/test-db.ts'
import { random, randomInput } from './random-movements.ts'

const log = pino({ level: 'silent' })
let counter = 0

function envelope<O extends OpName>(op: O, payload: Payload<O>, key?: string) {
  const id = `k-${++counter}`
  return { v: PROTOCOL_VERSION, id, op, payload, deadline: Date.now() + 60_000, key }
}

async function setUp(t: Parameters<typeof testDb>[0]) {
  const knex = await testDb(t)
  await ensureIdentity(knex, 'Sevilla')
  await runBatch(
    knex,
    ['A', 'B', 'C'].map((sku) => envelope('items.create', { sku, name: sku, unit: 'kg' })),
    { log }
  )
  return knex
}

/** Makes the insert of any movement whose reference is BOOM fail, as a disk that went away. */
function failOnBoom(knex: Knex) {
  return knex.raw(`CREATE TRIGGER boom BEFORE INSERT ON movements WHEN NEW.reference = 'BOOM'
    BEGIN SELECT RAISE(ABORT, 'the disk went away'); END`)
}

// A mix that exercises every decision the bulk path makes.
function mixedWrites() {
  return [
    envelope(
      'movements.record',
      { type: 'receipt', sku: 'A', quantity: 10, reference: 'PO-1' },
      'r1'
    ),
    envelope('movements.record', { type: 'issue', sku: 'A', quantity: 4, note: 'pick' }),
    envelope('movements.record', { type: 'issue', sku: 'B', quantity: 1 }, 'i-b'),
    envelope('movements.record', { type: 'receipt', sku: 'GHOST', quantity: 1 }, 'ghost'),
    envelope(
      'movements.record',
      { type: 'receipt', sku: 'A', quantity: 10, reference: 'PO-1' },
      'r1'
    ),
    envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 11 }, 'r1'),
    envelope('movements.record', { type: 'adjustment', sku: 'A', countedQuantity: 5 }),
    envelope('movements.record', { type: 'adjustment', sku: 'C', delta: 3 }, 'adj-c'),
    envelope('movements.record', { type: 'adjustment', sku: 'C', delta: -4 }),
    envelope('movements.record', { type: 'issue', sku: 'B', quantity: 1 }, 'i-b'),
    envelope('movements.record', { type: 'receipt', sku: 'B', quantity: 2 }),
  ]
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

// Times, the hashes that cover them, and the ids a transfer is given differ between two runs;
// everything else must not.
function comparable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (k, v) =>
    [
      'createdAt',
      'updatedAt',
      'created_at',
      'updated_at',
      'hash',
      'prevHash',
      'prev_hash',
      'id',
      'result',
    ].includes(k) ||
    (typeof v === 'string' && UUID.test(v))
      ? '·'
      : v
  )
}

async function state(knex: Knex) {
  return {
    movements: await knex('movements').orderBy('seq'),
    balances: await knex('balances').orderBy('sku'),
    keys: await knex('idempotency_keys').orderBy('key').select('key', 'op', 'fingerprint', 'ok'),
    events: await knex('events').orderBy('seq').select('seq', 'type', 'subject'),
  }
}

t.test('a run of movements in one batch answers and writes as one by one would', async (t) => {
  const bulk = await setUp(t)
  const single = await setUp(t)
  const writes = mixedWrites()
  const bulkReplies = await runBatch(bulk, writes, { log })
  const singleReplies = []
  for (const env of writes) {
    singleReplies.push(await single.transaction((trx) => dispatch(trx, env, { log })))
  }
  t.same(comparable(bulkReplies), comparable(singleReplies))
  t.same(
    bulkReplies.map((r) => (r.ok ? (r.replayed ? 'replay' : 'ok') : r.error.code)),
    [
      'ok',
      'ok',
      'INSUFFICIENT_STOCK',
      'NOT_FOUND',
      'replay',
      'IDEMPOTENCY_KEY_REUSED',
      'ok',
      'ok',
      'INSUFFICIENT_STOCK',
      'INSUFFICIENT_STOCK',
      'ok',
    ]
  )
  t.match(bulkReplies[2], { error: { message: /Cannot issue 1 kg of B in Sevilla/ } })
  t.same(
    { ...bulkReplies[9], id: bulkReplies[2].id },
    { ...bulkReplies[2], replayed: true },
    'a stored refusal is replayed'
  )
  t.same(comparable(await state(bulk)), comparable(await state(single)))
  t.match(await operations['ledger.verify'](bulk, {}), { ok: true, checked: { movements: 5 } })
})

t.test(
  'any run of movements, keys reused or not, answers and writes as one by one would',
  async (t) => {
    for (let seed = 1; seed <= 12; seed++) {
      const next = random(seed)
      const writes = Array.from({ length: 60 }, () => {
        const input = randomInput(next)
        // A few keys, so that some come back with the same request and some with another.
        const key = next() < 0.5 ? `k${Math.floor(next() * 8)}` : undefined
        return envelope('movements.record', input, key)
      })
      const run = await setUp(t)
      const single = await setUp(t)
      const runReplies = await runBatch(run, writes, { log })
      const singleReplies = []
      for (const env of writes) singleReplies.push(...(await runBatch(single, [env], { log })))
      t.same(comparable(runReplies), comparable(singleReplies), `seed ${seed}: replies`)
      t.same(comparable(await state(run)), comparable(await state(single)), `seed ${seed}: rows`)
      t.match(await operations['ledger.verify'](run, {}), { ok: true }, `seed ${seed}: verify`)
    }
  }
)

t.test('a replayed key answers what was stored, even across batches', async (t) => {
  const knex = await setUp(t)
  const [first] = await runBatch(
    knex,
    [envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 3 }, 'once')],
    { log }
  )
  const [again] = await runBatch(
    knex,
    [envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 3 }, 'once')],
    { log }
  )
  t.same(again, { ...first, id: again.id, replayed: true })
  t.match(await knex('balances').where({ sku: 'A' }).first(), { onHand: 3 })
})

t.test(
  'when a statement of a run fails, the run is executed one by one and only the culprit fails',
  async (t) => {
    const knex = await setUp(t)
    await failOnBoom(knex)
    const writes = [
      envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 1 }, 'x1'),
      envelope(
        'movements.record',
        { type: 'receipt', sku: 'A', quantity: 2, reference: 'BOOM' },
        'x2'
      ),
      envelope('movements.record', { type: 'receipt', sku: 'B', quantity: 3 }, 'x3'),
    ]
    const replies = await runBatch(knex, writes, { log })
    t.same(
      replies.map((r) => (r.ok ? 'ok' : r.error.code)),
      ['ok', 'INTERNAL', 'ok']
    )
    t.same(
      (await knex('movements').orderBy('seq')).map((m) => [m.seq, m.sku, m.delta]),
      [
        [1, 'A', 1],
        [2, 'B', 3],
      ]
    )
    t.same(
      (await knex('idempotency_keys').orderBy('key')).map((k) => k.key),
      ['x1', 'x3'],
      'the failed write keeps no key: a retry may apply it'
    )
    t.match(await operations['ledger.verify'](knex, {}), { ok: true })
  }
)

t.test(
  'the writes of a batch run grouped by operation: an item change among receipts leaves one run',
  async (t) => {
    const knex = await setUp(t)
    const before = await knex('events').max({ seq: 'seq' }).first()
    const replies = await runBatch(
      knex,
      [
        envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 1 }, 'g1'),
        envelope('items.update', { sku: 'B', patch: { reorderPoint: 3 } }),
        envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 2 }, 'g2'),
        envelope('movements.record', { type: 'issue', sku: 'A', quantity: 3 }, 'g3'),
      ],
      { log }
    )
    t.same(
      replies.map((r) => r.ok),
      [true, true, true, true]
    )
    // The receipts' events, in their arrival order, then the item's: one run, not two.
    const events = await knex('events')
      .where('seq', '>', before?.seq ?? 0)
      .orderBy('seq')
    t.same(
      events.map((e) => [e.type, e.subject]),
      [
        ['movement.recorded', 'A'],
        ['movement.recorded', 'A'],
        ['movement.recorded', 'A'],
        ['item.updated', 'B'],
      ]
    )
    t.same(
      (await knex('movements').orderBy('seq')).map((m) => m.delta),
      [1, 2, -3],
      'the issue saw both receipts'
    )
  }
)

t.test(
  "a batch's publishes run before its receives, whatever arrived first: a take beside its publish gets it",
  async (t) => {
    const knex = await setUp(t)
    const queue = { visibilityTimeoutMs: 30_000, maxDeliveries: 5 }
    await runBatch(
      knex,
      ['labels', 'orders'].map((name) => envelope('queues.create', { name, ...queue })),
      { log }
    )
    const message = { id: 'o-1', body: '1', headers: {}, delayMs: 0, ttlMs: null }
    const [other, published, taken] = await runBatch(
      knex,
      [
        envelope('queues.receive', { queue: 'labels', max: 10 }),
        envelope('queues.publish', { queue: 'orders', messages: [message] }),
        envelope('queues.receive', { queue: 'orders', max: 10 }),
      ],
      { log }
    )
    t.match(other, { ok: true, data: { messages: [] } })
    t.match(published, { ok: true })
    t.match(taken, { ok: true, data: { messages: [{ id: 'o-1', deliveries: 1 }] } })
  }
)

/** operations, with each ledger write's plan noting the state it was given. */
function spiedTable(seen: [string, object][]): OperationTable {
  const spy = <O extends 'movements.record' | 'transfers.create'>(op: O) => {
    const operation = operations[op]
    const posting = operation.posting as NonNullable<typeof operation.posting>
    return Object.assign((db: Knex, payload: Payload<O>) => operation(db, payload), operation, {
      posting: {
        ...posting,
        plan: (...args: Parameters<typeof posting.plan>) => {
          seen.push([op, args[1]])
          return posting.plan(...args)
        },
      },
    })
  }
  return {
    ...operations,
    'movements.record': spy('movements.record'),
    'transfers.create': spy('transfers.create'),
  } as OperationTable
}

t.test(
  "a batch's receipts and transfers run as one: one state read, each decided on what the writes before it left",
  async (t) => {
    const to = { to: 'b2f0c6a4-0000-4000-8000-000000000001', toName: 'Cádiz' }
    // Arrival order; the batch runs its ledger writes together, movements first, then transfers,
    // then the item change.
    const writes = [
      envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 10 }, 'm1'),
      envelope('transfers.create', { ...to, lines: [{ sku: 'A', quantity: 6 }] }, 't1'),
      envelope('items.update', { sku: 'B', patch: { reorderPoint: 3 } }),
      envelope('movements.record', { type: 'issue', sku: 'A', quantity: 3 }, 'm2'),
      envelope('transfers.create', { ...to, lines: [{ sku: 'A', quantity: 2 }] }, 't2'),
      envelope('transfers.create', { ...to, lines: [{ sku: 'GHOST', quantity: 1 }] }, 't3'),
    ]
    const runOrder = [0, 3, 1, 4, 5, 2].map((i) => writes[i])
    const seen: [string, object][] = []
    const together = await setUp(t)
    const replies = await runBatch(together, writes, { log, table: spiedTable(seen) })
    t.same(
      seen.map(([op]) => op),
      ['movements.record', 'transfers.create'],
      'one run for the ledger writes'
    )
    t.equal(seen[0][1], seen[1][1], 'on one state, read once')
    t.same(
      replies.map((r) => (r.ok ? 'ok' : r.error.code)),
      ['ok', 'ok', 'ok', 'ok', 'INSUFFICIENT_STOCK', 'NOT_FOUND']
    )
    t.match(replies[4], { error: { message: /A/ } }, 'short by what the transfer before it took')
    const single = await setUp(t)
    const alone = []
    for (const env of runOrder) alone.push(...(await runBatch(single, [env], { log })))
    const byId = new Map(replies.map((r) => [r.id, r]))
    t.same(
      comparable(runOrder.map((env) => byId.get(env.id))),
      comparable(alone),
      'each answered as if alone, in the order the batch ran them'
    )
    t.same(comparable(await state(together)), comparable(await state(single)))
    t.match(await together('balances').where({ sku: 'A' }).first(), { onHand: 1, sent: 6 })
    t.match(await operations['ledger.verify'](together, {}), {
      ok: true,
      checked: { movements: 3 },
    })
    const [again] = await runBatch(together, [writes[1]], { log })
    t.same(again, { ...replies[1], id: again.id, replayed: true }, 'a key replays its transfer')
  }
)

t.test(
  'when a statement of a run of receipts and transfers fails, only the culprit fails',
  async (t) => {
    const knex = await setUp(t)
    await failOnBoom(knex)
    const to = { to: 'b2f0c6a4-0000-4000-8000-000000000001', toName: 'Cádiz' }
    const replies = await runBatch(
      knex,
      [
        envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 5 }, 'y1'),
        envelope(
          'transfers.create',
          { ...to, lines: [{ sku: 'A', quantity: 1 }], reference: 'BOOM' },
          'y2'
        ),
        envelope('transfers.create', { ...to, lines: [{ sku: 'A', quantity: 2 }] }, 'y3'),
      ],
      { log }
    )
    t.same(
      replies.map((r) => (r.ok ? 'ok' : r.error.code)),
      ['ok', 'INTERNAL', 'ok']
    )
    t.match(await knex('balances').where({ sku: 'A' }).first(), { onHand: 3, sent: 2 })
    t.same(
      (await knex('idempotency_keys').orderBy('key')).map((k) => k.key),
      ['y1', 'y3']
    )
    t.equal((await knex('transfers')).length, 1, 'the failed transfer left nothing')
    t.match(await operations['ledger.verify'](knex, {}), { ok: true })
  }
)

t.test(
  'a batched stock read says low as stock.get does, never without a reorder point',
  async (t) => {
    const knex = await setUp(t)
    await runBatch(
      knex,
      [
        envelope('items.create', { sku: 'Z', name: 'Z', unit: 'kg', reorderPoint: 0 }),
        envelope('items.update', { sku: 'B', patch: { reorderPoint: 3 } }),
      ],
      { log }
    )
    const skus = ['A', 'B', 'Z']
    const replies = await runBatch(
      knex,
      skus.map((sku) => envelope('stock.get', { sku })),
      { log }
    )
    const stock = replies.map((r) => (r.ok ? (r.data as Stock) : undefined))
    t.same(
      stock.map((s) => s && [s.sku, s.reorderPoint, s.low]),
      [
        ['A', null, false],
        ['B', 3, true],
        ['Z', 0, true],
      ]
    )
    for (const [i, sku] of skus.entries()) {
      t.same(replies[i].ok && replies[i].data, await operations['stock.get'](knex, { sku }))
    }
  }
)

t.test('stock reads of a batch go together, known and unknown, after its writes', async (t) => {
  const knex = await setUp(t)
  const replies = await runBatch(
    knex,
    [
      envelope('stock.get', { sku: 'A' }),
      envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 7 }),
      envelope('stock.get', { sku: 'NOPE' }),
      envelope('stock.get', { sku: 'A' }),
      envelope('stock.get', { sku: 'C' }),
    ],
    { log }
  )
  const [read] = await runBatch(knex, [envelope('stock.get', { sku: 'A' })], { log })
  t.same(read.ok && Object.keys(read.data as object), [
    'sku',
    'name',
    'unit',
    'reorderPoint',
    'onHand',
    'inTransit',
    'sent',
    'received',
    'lastSeq',
    'updatedAt',
    'low',
  ])
  t.same(read.ok && read.data, await operations['stock.get'](knex, { sku: 'A' }))
  t.match(replies, [
    { ok: true, data: { sku: 'A', onHand: 7, lastSeq: 1 } },
    { ok: true, data: { seq: 1 } },
    { ok: false, error: { code: 'NOT_FOUND', message: 'No item with SKU NOPE' } },
    { ok: true, data: { sku: 'A', onHand: 7 } },
    { ok: true, data: { sku: 'C', onHand: 0, low: false } }, // no reorder point: never low
  ])
})
