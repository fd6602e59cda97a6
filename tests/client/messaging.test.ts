// The messaging client against real nodes: a publish is taken once whatever the retries, the next
// node takes over when one does not answer, and a subscription acknowledges what its handler took
// and gives back what it threw on.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { until } from '../fixtures/node-process.ts'
import { Messaging, type Delivery } from '../../client/messaging.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

t.test('publish once, fail over, subscribe with ack and give back', async (t) => {
  const [a, b] = [await startTestNode(t), await startTestNode(t)]
  for (const node of [a, b]) await api(node, 'POST', '/queues', { name: 'orders' })
  // Each node issues its own tokens: the client has one for each.
  const operator = async (node: { url: string }) => {
    await api(node, 'POST', '/users', { name: 'erp', role: 'operator' })
    return (await api(node, 'POST', '/tokens', { user: 'erp', name: 'erp' })).body.token as string
  }
  // b's URL as a person might write it, with a slash at the end: its long polls and acks still
  // carry its token and reach it.
  const nodes = [
    { url: a.url, token: await operator(a) },
    { url: `${b.url}/`, token: await operator(b) },
  ]
  const messaging = new Messaging({ nodes, timeoutMs: 2000 })

  const first = await messaging.publish('orders', { id: 'o-1', body: { n: 1 } })
  t.match(first, { id: 'o-1', duplicate: false, node: a.url })
  t.match(await messaging.publish('orders', { id: 'o-1', body: { n: 1 } }), {
    duplicate: true,
    node: a.url,
  })
  const made = await messaging.publish('orders', { body: { n: 2 } })
  t.match(made.id, /^[0-9a-f-]{36}$/, 'an id made by the client')

  // A refusal is the node's word, not a reason to try elsewhere.
  await t.rejects(messaging.publish('nope', { body: 1 }), { name: 'NodeRefusal', status: 404 })

  // a stops answering: the next node takes the publish.
  await a.close()
  t.match(await messaging.publish('orders', { id: 'o-3', body: { n: 3 } }), { node: b.url })

  // A subscription on b: the handler throws once, the message comes back, then it is taken.
  const seen: Delivery[] = []
  let done!: () => void
  const twice = new Promise<void>((resolve) => (done = resolve))
  const stop = messaging.subscribe(
    'orders',
    async (message) => {
      seen.push(message)
      if (seen.length === 1) throw new Error('not now')
      done()
    },
    { waitMs: 2000, retryMs: 100 }
  )
  await twice
  await stop()
  t.same(
    seen.map((m) => [m.id, m.deliveries, m.node]),
    [
      ['o-3', 1, b.url],
      ['o-3', 2, b.url],
    ]
  )
  t.match((await api(b, 'GET', '/queues/orders')).body, { ready: 0, inFlight: 0 }, 'acknowledged')
})

t.test('a handled message whose ack gets no answer is not given back', async (t) => {
  // A node that delivers one message, never answers its ack, and counts what it is sent.
  const calls: string[] = []
  let delivered = false
  const node = createServer((req, res) => {
    calls.push(req.url as string)
    req.resume()
    if (req.url?.endsWith('/ack')) return // no answer
    const messages = delivered
      ? []
      : [{ id: 'o-1', seq: 1, body: 1, headers: {}, deliveries: 1, receipt: '1.r' }]
    delivered = true
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ messages }))
  })
  await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve))
  t.teardown(() => node.close())
  const url = `http://127.0.0.1:${(node.address() as AddressInfo).port}`
  const messaging = new Messaging({ nodes: [{ url, token: 't' }], timeoutMs: 300 })
  let handled!: () => void
  const once = new Promise<void>((resolve) => (handled = resolve))
  const stop = messaging.subscribe('orders', () => handled(), { waitMs: 0, retryMs: 50 })
  await once
  await until(async () => calls.some((c) => c.endsWith('/ack')), 5000, 'the ack')
  // Its timeout, then a few more turns of the loop.
  await until(async () => calls.filter((c) => c.endsWith('/receive')).length >= 3, 5000, 'turns')
  await stop()
  node.closeAllConnections()
  t.same(
    calls.filter((c) => c.endsWith('/nack')),
    [],
    'handled, so never given back'
  )
})

t.test('a refusal ends a subscription through onEnd and stop, never the program', async (t) => {
  // A node that refuses every receive, as one whose queue was deleted would.
  const node = createServer((req, res) => {
    req.resume()
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ status: 404, error: 'No queue named nope', code: 'NOT_FOUND' }))
  })
  await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve))
  t.teardown(() => node.close())
  const url = `http://127.0.0.1:${(node.address() as AddressInfo).port}`
  const messaging = new Messaging({ nodes: [{ url, token: 't' }], timeoutMs: 1000 })
  let ended!: (refusal: Error) => void
  const end = new Promise<Error>((resolve) => (ended = resolve))
  const stop = messaging.subscribe('nope', () => undefined, { onEnd: ended })
  t.match(await end, { name: 'NodeRefusal', status: 404, message: /No queue named nope/ })
  await t.rejects(stop(), { name: 'NodeRefusal', status: 404 }, 'stop says why it ended')
  // Without onEnd too, nothing is left unhandled (tap fails a test on an unhandled rejection),
  // and nothing is silent: a process warning says it ended, and why.
  const warned = new Promise<Error>((resolve) => process.once('warning', resolve))
  const quiet = messaging.subscribe('nope', () => undefined)
  t.match(await warned, { message: /the subscription to nope ended: No queue named nope/ })
  await t.rejects(quiet(), { name: 'NodeRefusal' })
})
