import t from 'tap'
import { QueueWaiters } from '../../runtime/queue-signals.ts'

/** Whether `waiting` has settled, after the microtasks already queued have run. */
async function settled(waiting: Promise<unknown>): Promise<boolean> {
  let done = false
  void waiting.then(() => (done = true))
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

t.test('a wait on a queue is not sent back to look by publishes to other queues', async (t) => {
  const signals = new QueueWaiters()
  const stop = new AbortController()
  t.teardown(() => stop.abort())
  const far = Date.now() + 60_000

  const before = signals.version('orders')
  signals.published('labels') // while the wait on orders looked at its queue
  t.notOk(await settled(signals.next('orders', far, stop.signal, before)), 'still waiting')

  const quiet = signals.version('orders')
  signals.published('orders')
  t.ok(await settled(signals.next('orders', far, stop.signal, quiet)), 'its own: at once')

  const again = signals.version('orders')
  signals.published() // a topic's publish fills the subscriptions' queues: everyone looks
  t.ok(await settled(signals.next('orders', far, stop.signal, again)), 'a topic publish: at once')
  t.equal(signals.version(), 1, 'with no queue, only the publishes that name none count')
})

t.test('waiting receives are woken by a publish to their queue, and by nothing else', async (t) => {
  const signals = new QueueWaiters()
  const stop = new AbortController()
  t.teardown(() => stop.abort())
  const far = Date.now() + 60_000
  const orders = signals.next('orders', far, stop.signal)
  const labels = signals.next('labels', far, stop.signal)
  signals.published('orders')
  t.ok(await settled(orders))
  t.notOk(await settled(labels))
  signals.published()
  t.ok(await settled(labels))
})

t.test('a wait says why it ended: take, for messages on their way; else look', async (t) => {
  const signals = new QueueWaiters()
  const stop = new AbortController()
  t.teardown(() => stop.abort())
  const far = Date.now() + 60_000
  const take = signals.next('orders', far, stop.signal)
  signals.publishing('orders')
  t.equal(await take, 'take')
  const look = signals.next('orders', far, stop.signal)
  signals.published('orders')
  t.equal(await look, 'look')
  t.equal(await signals.next('orders', Date.now() + 5, stop.signal), 'look', 'its time is up')
  const aborted = new AbortController()
  const gone = signals.next('orders', far, aborted.signal)
  aborted.abort()
  t.equal(await gone, 'look', 'aborted')
  t.equal(signals.version('orders'), 1, 'on its way is not yet published: it counts once committed')
})
