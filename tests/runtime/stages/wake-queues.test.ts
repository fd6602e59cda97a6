import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { Db } from '../../../runtime/index.ts'
import { errorFromCode } from '../../../runtime/errors.ts'
import { QueueWaiters } from '../../../runtime/queue-signals.ts'
import { wakingQueues } from '../../../runtime/stages/wake-queues.ts'

/** A database answering each op with `reply`, and the waiters the stage tells. */
function setup(reply: (op: string) => unknown) {
  const queues = new QueueWaiters()
  const db: Db = {
    send: async (op) => reply(op) as never,
    sendEach: async () => [],
  }
  return { queues, db: wakingQueues(db, queues, [5, 20]) }
}

t.test(
  'a publish, a nack or an extension wakes the receives waiting on its queue; a topic publish, every queue',
  async (t) => {
    const { queues, db } = setup(() => ({ results: [] }))
    for (const op of ['queues.publish', 'queues.nack', 'queues.extend'] as const) {
      const before = queues.version('orders')
      const payload = { queue: 'orders', messages: [], receipts: ['1.a'], delayMs: 0 }
      await db.send(op, { ...payload, visibilityMs: 1 } as never)
      t.equal(queues.version('orders'), before + 1, `${op}: a receive that peeked before wakes`)
    }
    const [orders, other] = [queues.version('orders'), queues.version('other')]
    await db.send('topics.publish', { topic: 'stock.A', messages: [] })
    t.ok(queues.version('orders') > orders && queues.version('other') > other, 'topics: all')
  }
)

t.test(
  'a queue deleted wakes the receives waiting on it and on its dead letters: they find it gone',
  async (t) => {
    const { queues, db } = setup(() => ({ deleted: 'orders' }))
    const [orders, dead, other] = ['orders', 'orders.dead', 'other'].map((q) => queues.version(q))
    await db.send('queues.delete', { name: 'orders' } as never)
    t.ok(queues.version('orders') > orders, 'the queue')
    t.ok(queues.version('orders.dead') > dead, 'its dead letters')
    t.equal(queues.version('other'), other, 'no other')
  }
)

t.test('a read or a refused write wakes nobody', async (t) => {
  const { queues, db } = setup((op) => {
    if (op === 'queues.nack') throw errorFromCode('NOT_FOUND', 'no such queue')
    return { ready: false, nextVisibleAt: null }
  })
  await db.send('queues.peek', { queue: 'orders' })
  await t.rejects(db.send('queues.nack', { queue: 'orders', receipts: ['1.a'], delayMs: 0 }))
  t.equal(queues.version('orders'), 0)
})

t.test(
  'a publish whose outcome is unknown wakes them again once it may have committed',
  async (t) => {
    const { queues, db } = setup(() => {
      throw errorFromCode('DB_TIMEOUT', 'The database did not answer within 5000 ms')
    })
    // A wait of 60 s: only a wake ends it before the sentinel's 10 s.
    const woken = queues
      .next('orders', Date.now() + 60_000, undefined, queues.version('orders'))
      .then(() => 'woken')
    await t.rejects(db.send('queues.publish', { queue: 'orders', messages: [] }), {
      code: 'DB_TIMEOUT',
    })
    t.equal(queues.version('orders'), 0, 'not at once: it may not have committed yet')
    const giveUp = new AbortController()
    const sentinel = sleep(10_000, 'still waiting', { signal: giveUp.signal }).catch(() => '')
    t.equal(await Promise.race([woken, sentinel]), 'woken', 'the late wake ends the wait')
    giveUp.abort()
    t.ok(queues.version('orders') >= 1)
  }
)

t.test(
  'a receive that moved messages to the dead-letter queue wakes its receives; the name goes no further',
  async (t) => {
    const { queues, db } = setup(() => ({ messages: [], deadLettered: 'orders.dead' }))
    const answer = await db.send('queues.receive', { queue: 'orders', max: 10 })
    t.same(answer, { messages: [] })
    t.equal(queues.version('orders.dead'), 1, 'a receive waiting on orders.dead looks again')
    t.equal(queues.version('orders'), 0)
    const acked = await db.send('queues.ackAndReceive', {
      queue: 'orders',
      receipts: ['1.a'],
      max: 10,
    })
    t.notOk('deadLettered' in acked)
    t.equal(queues.version('orders.dead'), 2)
  }
)

t.test(
  'a publish of messages visible at once has its waiting receives take as it leaves, before it commits; a delayed one, once it has',
  async (t) => {
    const queues = new QueueWaiters()
    let commit = () => {}
    const sent: string[] = []
    const db = wakingQueues(
      {
        send: async (op) => {
          sent.push(op)
          await new Promise<void>((resolve) => (commit = resolve))
          return { results: [] } as never
        },
        sendEach: async () => [],
      },
      queues,
      [5, 20]
    )
    const far = Date.now() + 60_000
    const message = (delayMs: number) => ({ id: 'm', body: '1', headers: {}, delayMs, ttlMs: null })

    const waiting = queues.next('orders', far)
    const stop = new AbortController()
    t.teardown(() => stop.abort())
    const other = queues.next('labels', far, stop.signal).then(() => 'woken')
    const publish = db.send('queues.publish', { queue: 'orders', messages: [message(0)] })
    t.same(sent, ['queues.publish'], 'the publish left first')
    t.equal(await waiting, 'take', 'the receive waiting on its queue takes, the publish unanswered')
    commit()
    await publish
    const still = await Promise.race([other, new Promise((r) => setImmediate(() => r('waiting')))])
    t.equal(still, 'waiting', 'a receive waiting on another queue waits on')

    const delayed = queues.next('orders', far)
    const later = db.send('queues.publish', { queue: 'orders', messages: [message(0), message(5)] })
    const early = await Promise.race([
      delayed,
      new Promise((r) => setImmediate(() => r('waiting'))),
    ])
    t.equal(early, 'waiting', 'with a delayed message among them, nobody takes before the commit')
    commit()
    await later
    t.equal(await delayed, 'look', 'after it, the receive looks again, as for a nack')
  }
)
