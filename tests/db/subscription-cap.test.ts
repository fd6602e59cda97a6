// A subscription holds at most what a queue holds (MAX_DEPTH): once full, the triggers make no more
// copies into it and count them in its `missed`, so a subscription nobody consumes cannot fill the
// disk (and then refuse every write of the warehouse). Its depth is set near the bound here: a
// million rows would take the test a minute; the depth column is what the triggers read.
import t from 'tap'
import type { Knex } from 'knex'
import { pino } from 'pino'
import { runBatch } from '../../db/batch.ts'
import { PROTOCOL_VERSION, type OpName, type Payload } from '../../db/contract/index.ts'
import { metricsOp } from '../../db/metrics.ts'
import { ack, MAX_DEPTH, receive } from '../../db/operations/queues.ts'
import { create, fillFromStart, list, publish, subscribeV2 } from '../../db/operations/topics.ts'
import { testDb } from '../fixtures/test-db.ts'

const log = pino({ level: 'silent' })
let counter = 0

async function run<O extends OpName>(knex: Knex, op: O, payload: Payload<O>) {
  const env = {
    v: PROTOCOL_VERSION,
    id: `c-${++counter}`,
    op,
    payload,
    deadline: Date.now() + 60_000,
  }
  const [reply] = await runBatch(knex, [env], { log })
  if (!reply.ok) throw new Error(`${op}: ${JSON.stringify(reply.error)}`)
  return reply.data
}

const subscription = (name: string, pattern: string) => ({
  name,
  pattern,
  visibilityTimeoutMs: 30_000,
  maxDeliveries: 5,
  since: null,
  afterEvent: null,
  afterMessage: null,
})

const depthOf = async (knex: Knex, name: string) =>
  Number((await knex('queues').where({ name }).first()).depth)

const missedOf = async (knex: Knex, name: string) =>
  (await list(knex)).subscriptions.find((s) => s.name === name)?.missed

t.test('a full subscription gets no more of the movements, and counts them', async (t) => {
  const knex = await testDb(t)
  await run(knex, 'items.create', { sku: 'BOLT', name: 'Bolt', unit: 'ea' })
  await subscribeV2(knex, subscription('erp', 'stock.>'))
  await subscribeV2(knex, subscription('dashboard', 'stock.>'))
  // One short of full, as if a million movements had gone unread.
  await knex('queues')
    .where({ name: 'erp' })
    .update({ depth: MAX_DEPTH - 1 })

  await run(knex, 'movements.record', { type: 'receipt', sku: 'BOLT', quantity: 5 })
  t.equal(await depthOf(knex, 'erp'), MAX_DEPTH, 'the last place taken')
  t.equal(await missedOf(knex, 'erp'), 0, 'filling it is no miss')

  await run(knex, 'movements.record', { type: 'receipt', sku: 'BOLT', quantity: 7 })
  await run(knex, 'movements.record', { type: 'issue', sku: 'BOLT', quantity: 2 })
  t.equal(await depthOf(knex, 'erp'), MAX_DEPTH, 'no copy past it')
  t.equal(await missedOf(knex, 'erp'), 2, 'each movement it did not get is counted')
  t.match(await run(knex, 'stock.get', { sku: 'BOLT' }), { onHand: 10 }, 'the movements are in')

  t.equal(await depthOf(knex, 'dashboard'), 3, 'another subscription gets all three')
  t.equal(await missedOf(knex, 'dashboard'), 0)
  const got = await receive(knex, { queue: 'erp', max: 10 })
  t.same(
    got.messages.map((m) => (m.body as { data: { quantity: number } }).data.quantity),
    [5],
    'what it holds is what came before the bound, the first movement'
  )

  // Consumed below the bound, it still takes nothing: what it holds ends where its gap starts.
  await ack(knex, { queue: 'erp', receipts: got.messages.map((m) => m.receipt) })
  t.equal(await depthOf(knex, 'erp'), MAX_DEPTH - 1)
  await run(knex, 'movements.record', { type: 'receipt', sku: 'BOLT', quantity: 1 })
  t.equal(await depthOf(knex, 'erp'), MAX_DEPTH - 1, 'no copy after a miss')
  t.equal(await missedOf(knex, 'erp'), 3)
  t.equal(await depthOf(knex, 'dashboard'), 4)
  t.same(
    (await metricsOp(knex)).subscriptions,
    [
      { name: 'dashboard', missed: 0 },
      { name: 'erp', missed: 3 },
    ],
    'for /metrics'
  )
})

t.test('a full subscription gets no more of a topic’s messages, and counts them', async (t) => {
  const knex = await testDb(t)
  await create(knex, { name: 'orders.eu', retentionMs: 86_400_000, retentionCount: 100 })
  await subscribeV2(knex, subscription('shop', 'orders.*'))
  await knex('queues').where({ name: 'shop' }).update({ depth: MAX_DEPTH })
  const message = (id: string) => ({ id, body: JSON.stringify(id), headers: {} })
  const published = await publish(knex, {
    topic: 'orders.eu',
    messages: [message('o1'), message('o2')],
  })
  t.equal(published.results.length, 2, 'the publish is taken: the topic keeps them')
  t.equal(await depthOf(knex, 'shop'), MAX_DEPTH)
  t.equal(await missedOf(knex, 'shop'), 2)
})

t.test('a new subscription takes at most a full queue from its start point', async (t) => {
  const knex = await testDb(t)
  await run(knex, 'items.create', { sku: 'NUT', name: 'Nut', unit: 'ea' })
  for (const quantity of [1, 2, 3, 4, 5]) {
    await run(knex, 'movements.record', { type: 'receipt', sku: 'NUT', quantity })
  }
  // A subscription made without a start point, filled here as subscribeV2 does with one, but
  // with room for three: the oldest three are kept, the two after them counted.
  await subscribeV2(knex, subscription('late', 'stock.>'))
  await fillFromStart(knex, { name: 'late', since: null, afterEvent: 0, afterMessage: null }, 3)
  const got = await receive(knex, { queue: 'late', max: 10 })
  t.same(
    got.messages.map((m) => (m.body as { data: { quantity: number } }).data.quantity),
    [1, 2, 3]
  )
  t.equal(await missedOf(knex, 'late'), 2)

  await subscribeV2(knex, { ...subscription('roomy', 'stock.>'), afterEvent: 0 })
  t.equal(await depthOf(knex, 'roomy'), 5, 'with room, everything from the start')
  t.equal(await missedOf(knex, 'roomy'), 0)
})
