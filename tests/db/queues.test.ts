// The queues' limits, at the worker's operations on a migrated database.
import t from 'tap'
import {
  ack,
  create,
  get,
  MAX_DEPTH,
  MAX_QUEUES,
  publish,
  receive,
} from '../../db/operations/queues.ts'
import { create as createTopic, MAX_TOPICS, subscribeV2 } from '../../db/operations/topics.ts'
import { testDb } from '../fixtures/test-db.ts'

t.test('a node keeps at most MAX_QUEUES queues, and says so', async (t) => {
  const knex = await testDb(t)
  const settings = { visibilityTimeoutMs: 30_000, maxDeliveries: 5 }
  await knex.transaction(async (trx) => {
    for (let i = 0; i < MAX_QUEUES; i++) await create(trx, { name: `q${i}`, ...settings })
  })
  await t.rejects(create(knex, { name: 'one-more', ...settings }), {
    code: 'CONFLICT',
    message: `This node keeps ${MAX_QUEUES} queues already, the most it takes: delete one first`,
  })
  t.notOk(await knex('queues').where({ name: 'one-more' }).first(), 'nothing made')
})

t.test('a node keeps at most MAX_TOPICS topics, and says so', async (t) => {
  const knex = await testDb(t)
  const settings = { retentionMs: 86_400_000, retentionCount: 100_000 }
  await knex.transaction(async (trx) => {
    for (let i = 0; i < MAX_TOPICS; i++) await createTopic(trx, { name: `t${i}`, ...settings })
  })
  await t.rejects(createTopic(knex, { name: 'one-more', ...settings }), {
    code: 'CONFLICT',
    message: `This node keeps ${MAX_TOPICS} topics already, the most it takes: delete one first`,
  })
  t.notOk(await knex('topics').where({ name: 'one-more' }).first(), 'nothing made')
})

t.test(
  'a queue holds at most MAX_DEPTH messages; its depth follows every publish and ack',
  async (t) => {
    const knex = await testDb(t)
    await create(knex, { name: 'orders', visibilityTimeoutMs: 30_000, maxDeliveries: 5 })
    const message = (id: string) => ({ id, body: '1', headers: {}, delayMs: 0, ttlMs: null })
    await publish(knex, { queue: 'orders', messages: [message('a'), message('b'), message('c')] })
    const [first] = (await receive(knex, { queue: 'orders', max: 1 })).messages
    await ack(knex, { queue: 'orders', receipts: [first.receipt] })
    t.match(await get(knex, { name: 'orders' }), { depth: 2, ready: 2 })

    // Full (as if a million messages waited): refused, saying why, nothing stored.
    await knex('queues')
      .where({ name: 'orders' })
      .update({ depth: MAX_DEPTH - 1 })
    await t.rejects(publish(knex, { queue: 'orders', messages: [message('d'), message('e')] }), {
      code: 'CONFLICT',
      message: `Queue orders holds ${MAX_DEPTH - 1} messages, and takes at most ${MAX_DEPTH}: consume some first`,
    })
    t.match(
      await publish(knex, { queue: 'orders', messages: [message('d')] }),
      {
        results: [{ id: 'd', duplicate: false }],
      },
      'one more fits'
    )
  }
)

/** Runs `body` with Date.now under the test's hand: the worker's operations read no other clock. */
function onClock(t: { teardown(fn: () => void): void }) {
  const real = Date.now
  let now = real()
  Date.now = () => now
  t.teardown(() => (Date.now = real))
  return { advance: (ms: number) => (now += ms) }
}

t.test(
  'on a fake clock: delay, visibility, redelivery, dead letters and TTL, to the millisecond',
  async (t) => {
    const clock = onClock(t)
    const knex = await testDb(t)
    await create(knex, { name: 'jobs', visibilityTimeoutMs: 1000, maxDeliveries: 2 })
    const message = (id: string, delayMs = 0, ttlMs: number | null = null) => ({
      id,
      body: JSON.stringify(id),
      headers: {},
      delayMs,
      ttlMs,
    })
    const take = async () =>
      (await receive(knex, { queue: 'jobs', max: 10 })).messages.map((m) => [m.id, m.deliveries])

    await publish(knex, { queue: 'jobs', messages: [message('late', 500)] })
    t.same(await take(), [], 'delayed: not before its time')
    clock.advance(499)
    t.same(await take(), [], 'one millisecond early')
    clock.advance(1)
    t.same(await take(), [['late', 1]], 'on time')

    t.same(await take(), [], 'hidden while delivered')
    clock.advance(999)
    t.same(await take(), [], 'its visibility timeout not over')
    clock.advance(1)
    t.same(await take(), [['late', 2]], 'delivered again once it is over')
    clock.advance(1000)
    t.same(
      await receive(knex, { queue: 'jobs', max: 10 }),
      { messages: [], deadLettered: 'jobs.dead' },
      'delivered twice, the most: not a third time, and the receive names where it went'
    )
    t.notOk('deadLettered' in (await receive(knex, { queue: 'jobs', max: 10 })), 'once')
    t.match(await get(knex, { name: 'jobs.dead' }), { depth: 1, ready: 1 })
    const [dead] = (await receive(knex, { queue: 'jobs.dead', max: 1 })).messages
    t.match(dead.headers, {
      'x-dead-reason': 'delivered 2 times without an ack',
      'x-dead-from': 'jobs',
    })

    await publish(knex, { queue: 'jobs', messages: [message('stale', 0, 200)] })
    clock.advance(200)
    t.same(await take(), [], 'at its TTL: dead, not delivered')
    t.match(
      (await receive(knex, { queue: 'jobs.dead', max: 10 })).messages.map(
        (m) => m.headers['x-dead-reason']
      ),
      [/^expired at /]
    )
  }
)

t.test(
  'more messages done with than a receive moves at once: none of them is delivered',
  async (t) => {
    const clock = onClock(t)
    const knex = await testDb(t)
    await create(knex, { name: 'labels', visibilityTimeoutMs: 1000, maxDeliveries: 1 })
    await create(knex, { name: 'prices', visibilityTimeoutMs: 1000, maxDeliveries: 5 })
    const messages = (prefix: string, n: number, ttlMs: number | null = null) =>
      Array.from({ length: n }, (_, i) => ({
        id: `${prefix}${i}`,
        body: String(i),
        headers: {},
        delayMs: 0,
        ttlMs,
      }))
    // 150 delivered once each, the most: none may go out a second time.
    await publish(knex, { queue: 'labels', messages: messages('l', 150) })
    for (let i = 0; i < 2; i++) await receive(knex, { queue: 'labels', max: 100 })
    // 150 past their TTL before anyone took them.
    await publish(knex, { queue: 'prices', messages: messages('p', 150, 10) })
    clock.advance(1000)
    for (const queue of ['labels', 'prices']) {
      const first = await receive(knex, { queue, max: 10 })
      t.same(first, { messages: [], deadLettered: `${queue}.dead` }, `${queue}: none delivered`)
      t.same(await receive(knex, { queue, max: 10 }), {
        messages: [],
        deadLettered: `${queue}.dead`,
      })
      t.same(await receive(knex, { queue, max: 10 }), { messages: [] }, 'all moved by now')
      t.match(await get(knex, { name: `${queue}.dead` }), { depth: 150 })
    }
    // A dead-letter queue moves nothing on: what it holds is delivered, past its TTL or not
    // (prices' messages went there past theirs).
    clock.advance(1000)
    const [oldest] = (await receive(knex, { queue: 'prices.dead', max: 1 })).messages
    t.match(oldest, { id: 'p0' })
    t.match(
      (await receive(knex, { queue: 'prices.dead', max: 200 })).messages.at(-1),
      { id: 'p149' },
      'expired messages in the dead letters are delivered, not held for ever'
    )
    // Nobody publishes into it: a dead letter by hand would pass for one its queue gave up on.
    await t.rejects(publish(knex, { queue: 'labels.dead', messages: messages('d', 1) }), {
      code: 'CONFLICT',
      message:
        'Queue labels.dead holds the messages queue labels gave up on: publish to labels instead',
    })
  }
)

t.test('a queue whose dead letters could not be named is refused, naming the limit', async (t) => {
  const knex = await testDb(t)
  const settings = { visibilityTimeoutMs: 30_000, maxDeliveries: 5 }
  await t.rejects(create(knex, { name: 'q'.repeat(96), ...settings }), {
    code: 'VALIDATION_FAILED',
    message:
      "A queue's name may have at most 95 characters, so that its dead-letter queue, .dead after it, can be named too",
  })
  t.notOk(await knex('queues').first(), 'nothing made')
  t.match(await create(knex, { name: 'q'.repeat(95), ...settings }), { name: 'q'.repeat(95) })
  t.match(await get(knex, { name: `${'q'.repeat(95)}.dead` }), { depth: 0 }, 'its dead letters too')
})

t.test(
  "a subscription's queue takes its topics' messages only: nobody publishes into it",
  async (t) => {
    const knex = await testDb(t)
    await subscribeV2(knex, {
      name: 'erp',
      pattern: 'stock.>',
      visibilityTimeoutMs: 30_000,
      maxDeliveries: 5,
      since: null,
      afterEvent: null,
      afterMessage: null,
    })
    // A forged event under a topic message's id would be delivered ahead of the real one.
    const forged = { id: 'event:435', body: '{"fake":true}', headers: {}, delayMs: 0, ttlMs: null }
    await t.rejects(publish(knex, { queue: 'erp', messages: [forged] }), {
      code: 'CONFLICT',
      message:
        "Queue erp is a subscription to stock.>: it takes its topics' messages only; publish to a topic instead",
    })
    t.match(await get(knex, { name: 'erp' }), { depth: 0 })
  }
)
