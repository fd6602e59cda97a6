// Topics and durable subscriptions on a real node: the node's own events on system topics, in the
// commit of the change (a refused movement is on none); messages published to topics, copied to
// every matching subscription once; start points, retention, a long poll woken by a movement, and
// bad requests that change nothing.
import t from 'tap'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { tokenOf } from '../fixtures/tokens.ts'

type Node = { url: string }
type Message = { id: string; body: any; headers: Record<string, string>; receipt: string }

const post = (node: Node, path: string, body?: unknown) => api(node, 'POST', path, body)

async function drain(node: Node, queue: string): Promise<Message[]> {
  const got = await post(node, `/queues/${queue}/receive`, { max: 100 })
  if (got.status !== 200)
    throw new Error(`receive ${queue}: ${got.status} ${JSON.stringify(got.body)}`)
  const messages = got.body.messages as Message[]
  if (messages.length)
    await post(node, `/queues/${queue}/ack`, { receipts: messages.map((m) => m.receipt) })
  return messages
}

const subscribe = (node: Node, pattern: string, body: Record<string, unknown>) =>
  post(node, `/topics/${encodeURIComponent(pattern)}/subscriptions`, body)

t.test("the node's events on system topics, committed ones only", async (t) => {
  const node = await startTestNode(t)
  const made = await subscribe(node, 'stock.>', { name: 'erp-stock' })
  t.equal(made.status, 201, JSON.stringify(made.body))
  t.match(made.body, {
    name: 'erp-stock',
    pattern: 'stock.>',
    queue: { ready: 0, deadLetterQueue: 'erp-stock.dead' },
  })
  t.equal((await subscribe(node, 'item.*', { name: 'catalogue' })).status, 201)

  await post(node, '/items', { sku: 'BOLT-M8', name: 'Bolt', unit: 'ea' })
  await post(node, '/movements', { type: 'receipt', sku: 'BOLT-M8', quantity: 50 })
  const refused = await post(node, '/movements', { type: 'issue', sku: 'BOLT-M8', quantity: 500 })
  t.equal(refused.status, 409)
  await post(node, '/movements', { type: 'issue', sku: 'BOLT-M8', quantity: 5 })

  const stock = await drain(node, 'erp-stock')
  t.same(
    stock.map((m) => [m.headers['x-topic'], m.body.type, m.body.data.type, m.body.data.quantity]),
    [
      ['stock.BOLT-M8', 'movement.recorded', 'receipt', 50],
      ['stock.BOLT-M8', 'movement.recorded', 'issue', 5],
    ],
    'each committed movement once, in order; the refused issue on none'
  )
  t.match(stock[0], { id: /^event:\d+$/, body: { subject: 'BOLT-M8', data: { seq: 1 } } })
  t.same(
    (await drain(node, 'catalogue')).map((m) => [m.headers['x-topic'], m.body.type]),
    [['item.BOLT-M8', 'item.created']]
  )
})

t.test('a published message reaches every matching subscription once', async (t) => {
  const node = await startTestNode(t)
  for (const name of ['orders.eu', 'orders.us', 'invoices']) {
    t.equal((await post(node, '/topics', { name })).status, 201)
  }
  await subscribe(node, 'orders.*', { name: 'all-orders' })
  await subscribe(node, 'orders.eu', { name: 'eu' })
  await subscribe(node, '>', { name: 'everything' })
  const first = await post(node, '/topics/orders.eu/messages', { id: 'o-1', body: { n: 1 } })
  t.match(first, { status: 201, body: { id: 'o-1', duplicate: false } })
  await post(node, '/topics/orders.us/messages', { id: 'o-2', body: { n: 2 } })
  await post(node, '/topics/invoices/messages', { id: 'i-1', body: { n: 3 } })
  t.match(await post(node, '/topics/orders.eu/messages', { id: 'o-1', body: { n: 9 } }), {
    status: 201,
    body: { duplicate: true },
  })
  const ids = async (queue: string) => (await drain(node, queue)).map((m) => m.id)
  t.same(await ids('all-orders'), ['o-1', 'o-2'])
  t.same(await ids('eu'), ['o-1'])
  t.same(await ids('everything'), ['o-1', 'o-2', 'i-1'])
  t.match((await api(node, 'GET', '/topics/orders.eu')).body, {
    messages: 1,
    firstSeq: 1,
    lastSeq: 1,
  })
})

t.test('a * matches one word, even before a last >: in subscriptions and streams', async (t) => {
  const node = await startTestNode(t)
  for (const name of ['orders.eu.x', 'orders.fr.eu.x', 'a.eu.b.c']) {
    t.equal((await post(node, '/topics', { name })).status, 201)
  }
  await subscribe(node, '*.eu.>', { name: 'eu-sub' })
  await subscribe(node, '*.*.eu.>', { name: 'deeper' })
  for (const [topic, id] of [
    ['orders.eu.x', 'm-1'],
    ['orders.fr.eu.x', 'm-2'],
    ['a.eu.b.c', 'm-3'],
  ]) {
    t.equal((await post(node, `/topics/${topic}/messages`, { id, body: id })).status, 201)
  }
  const ids = async (queue: string) => (await drain(node, queue)).map((m) => m.id)
  t.same(await ids('eu-sub'), ['m-1', 'm-3'], 'orders.fr.eu.x has fr as its second word')
  t.same(await ids('deeper'), ['m-2'])
  // A stream of the pattern from the start reads the same.
  const stop = new AbortController()
  const response = await fetch(`${node.url}/topics/*.eu.%3E/stream?after=0`, {
    headers: { authorization: `Bearer ${tokenOf(node.url)}` },
    signal: AbortSignal.any([stop.signal, AbortSignal.timeout(30_000)]),
  })
  const reader = response.body!.getReader()
  let text = ''
  while ((text.match(/^id: /gm) ?? []).length < 2) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`the stream ended after: ${text}`)
    text += new TextDecoder().decode(value)
  }
  stop.abort()
  t.same(
    [...text.matchAll(/^event: (.*)$/gm)].map((m) => m[1]),
    ['orders.eu.x', 'a.eu.b.c']
  )
})

t.test(
  'a subscription can start in the past: since a time, after an event, or after a message',
  async (t) => {
    const node = await startTestNode(t)
    await post(node, '/topics', { name: 'labels', retentionCount: 2 })
    const before = new Date(Date.now() - 1000).toISOString()
    for (const n of [1, 2, 3])
      await post(node, '/topics/labels/messages', { id: `l-${n}`, body: n })
    t.match(
      (await api(node, 'GET', '/topics/labels')).body,
      { messages: 2, firstSeq: 2, lastSeq: 3 },
      'kept: the last 2'
    )
    await subscribe(node, 'labels', { name: 'late', since: before })
    t.same(
      (await drain(node, 'late')).map((m) => m.body),
      [2, 3],
      'what the topic still keeps'
    )

    await post(node, '/items', { sku: 'NUT', name: 'Nut', unit: 'ea' })
    await post(node, '/movements', { type: 'receipt', sku: 'NUT', quantity: 3 })
    await subscribe(node, 'stock.*', { name: 'replay', afterEvent: 0 })
    t.same(
      (await drain(node, 'replay')).map((m) => m.body.data.quantity),
      [3],
      'the log from the start'
    )
    await subscribe(node, 'stock.*', { name: 'from-now' })
    t.same(await drain(node, 'from-now'), [], 'from now: nothing before')

    // A consumer that kept the seq of the last message it handled starts after it.
    const fourth = await post(node, '/topics/labels/messages', { id: 'l-4', body: 4 })
    t.match(fourth.body, { seq: 4 })
    await post(node, '/topics/labels/messages', { id: 'l-5', body: 5 })
    await subscribe(node, 'labels', { name: 'after-3', afterMessage: 3 })
    t.same(
      (await drain(node, 'after-3')).map((m) => m.body),
      [4, 5],
      'the messages after seq 3'
    )
    await subscribe(node, '>', { name: 'both', afterMessage: 4, afterEvent: 0 })
    t.same(
      (await drain(node, 'both'))
        .map((m) => m.headers['x-topic'])
        .filter((topic) => !topic.startsWith('member.')),
      ['item.NUT', 'stock.NUT', 'labels'],
      'with afterEvent too: the events after it and the messages after seq 4, by time'
    )
    await subscribe(node, 'labels', { name: 'after-all', afterMessage: 5 })
    t.same(await drain(node, 'after-all'), [], 'after the last one: nothing yet')
    // Past what this node has, a start would hand over what comes before it unasked.
    const events = (await api(node, 'GET', '/events?limit=1')).body.head
    for (const [start, path, head] of [
      [{ afterMessage: 99 }, 'afterMessage', 5],
      [{ afterEvent: events + 50 }, 'afterEvent', events],
      [{ since: new Date(Date.now() + 3_600_000).toISOString() }, 'since', undefined],
    ] as const) {
      t.match(
        await subscribe(node, 'labels', { name: 'too-far', ...start }),
        {
          status: 409,
          body: {
            code: 'CONFLICT',
            error:
              head === undefined
                ? /is past the last moment/
                : new RegExp(`past the last .* here \\(${head}\\)`),
            details: [{ path }],
          },
        },
        `${path} past the head: refused, naming it`
      )
    }
    t.equal((await api(node, 'GET', '/queues/too-far')).status, 404, 'and no queue made')
  }
)

t.test('a long poll on a subscription is woken by a movement', async (t) => {
  const node = await startTestNode(t)
  await post(node, '/items', { sku: 'ROPE', name: 'Rope', unit: 'm' })
  await subscribe(node, 'stock.ROPE', { name: 'rope' })
  const started = Date.now()
  const waiting = post(node, '/queues/rope/receive', { waitMs: 10_000 })
  await post(node, '/movements', { type: 'receipt', sku: 'ROPE', quantity: 7 })
  const got = await waiting
  t.match(got.body.messages, [{ body: { data: { quantity: 7 } } }])
  t.ok(Date.now() - started < 5000, 'at once, not at the end of the wait')
})

t.test('bad requests are refused, naming the problem, and change nothing', async (t) => {
  const node = await startTestNode(t)
  await post(node, '/topics', { name: 'orders' })
  t.match(await post(node, '/topics', { name: 'stock.extra' }), {
    status: 400,
    body: { error: /system topics/ },
  })
  t.match(await post(node, '/topics', { name: 'Stock.extra' }), {
    status: 400,
    body: { error: /system topics/ },
  })
  t.match(await post(node, '/topics', { name: 'bad..name' }), {
    status: 400,
    body: { error: /dotted words/ },
  })
  t.match(await subscribe(node, '>.x', { name: 's' }), {
    status: 400,
    body: { error: /last > for one or more/ },
  })
  t.match(
    await subscribe(node, 'orders', { name: 's', since: '2027-01-01T00:00:00Z', afterEvent: 3 }),
    {
      status: 400,
      body: { error: /give since, or afterEvent and\/or afterMessage, not both kinds/ },
    }
  )
  t.match(
    await subscribe(node, 'orders', { name: 's', since: '2027-01-01T00:00:00Z', afterMessage: 3 }),
    { status: 400, body: { error: /not both kinds/ } }
  )
  t.match(await subscribe(node, 'orders', { name: 's', afterMessage: -1 }), {
    status: 400,
    body: { error: /afterMessage must not be negative/ },
  })
  t.match(await post(node, '/topics/nope/messages', { body: 1 }), {
    status: 404,
    body: { error: 'No topic named nope' },
  })
  t.match(await post(node, '/topics/orders/messages', { body: 1, delayMs: 5 }), {
    status: 400,
    body: { error: /takes no delayMs or ttlMs/ },
  })
  // A body past a queue's limit is told the topic's, as one past the topic's alone is.
  for (const bytes of [50_000, 70_000]) {
    t.match(await post(node, '/topics/orders/messages', { body: 'x'.repeat(bytes) }), {
      status: 400,
      body: { details: [{ path: 'body', message: /a topic's message may be at most 49152$/ }] },
    })
  }
  t.match(await post(node, '/topics', { name: 'orders' }), { status: 409 })
  t.same((await api(node, 'GET', '/topics')).body.subscriptions, [])

  await subscribe(node, 'orders', { name: 'gone' })
  t.equal(
    (await api(node, 'DELETE', '/queues/gone')).status,
    200,
    'a subscription ends with its queue'
  )
  t.same((await api(node, 'GET', '/topics')).body.subscriptions, [])
  await post(node, '/topics/orders/messages', { body: 1 })
  t.same((await api(node, 'GET', '/queues')).body.queues, [], 'and gets nothing after')

  // A stream resumed past the last message given (another node's position, or from before a
  // restore) would wait there, skipping everything up to it: refused; and an empty position is
  // not read as 0 (everything kept, replayed).
  t.match(await api(node, 'GET', '/topics/orders/stream?after=1000'), {
    status: 409,
    body: {
      code: 'CONFLICT',
      error:
        /^after 1000 is past the last topic message here \(1\): .*leave it out to start from now$/,
      details: [{ path: 'after' }],
    },
  })
  t.match(await api(node, 'GET', '/topics/orders/stream', undefined, { 'last-event-id': '2' }), {
    status: 409,
    body: { details: [{ path: 'Last-Event-ID' }] },
  })
  t.match(await api(node, 'GET', '/topics/orders/stream?after='), {
    status: 400,
    body: { details: [{ path: 'after', message: /leave after out to start from now/ }] },
  })
})

t.test('a live stream of the topics a pattern matches, resumed after a reconnection', async (t) => {
  const node = await startTestNode(t)
  for (const name of ['orders.eu', 'orders.us', 'invoices']) await post(node, '/topics', { name })
  await post(node, '/topics/orders.eu/messages', { id: 'before', body: 0 })
  const stop = new AbortController()
  t.teardown(() => stop.abort())
  const response = await fetch(`${node.url}/topics/orders.*/stream`, {
    headers: { authorization: `Bearer ${tokenOf(node.url)}` },
    signal: AbortSignal.any([stop.signal, AbortSignal.timeout(30_000)]),
  })
  t.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8')
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let text = ''
  const events = async (n: number) => {
    while ((text.match(/\n\n/g) ?? []).filter((_, i) => i > 0).length < n) {
      const { value, done } = await reader.read()
      if (done) break
      text += value
    }
    return text
      .split('\n\n')
      .filter((block) => block.startsWith('id: '))
      .map((block) => {
        const [id, event, data] = block
          .split('\n')
          .map((line) => line.slice(line.indexOf(': ') + 2))
        return { id: Number(id), event, data: JSON.parse(data) }
      })
  }
  // From now: the message published before is not sent; these two are, the invoice is not.
  await post(node, '/topics/orders.eu/messages', { id: 'e-1', body: 1 })
  await post(node, '/topics/invoices/messages', { id: 'i-1', body: 2 })
  await post(node, '/topics/orders.us/messages', { id: 'u-1', body: 3 })
  const got = await events(2)
  t.same(
    got.map((e) => [e.event, e.data.id, e.data.body]),
    [
      ['orders.eu', 'e-1', 1],
      ['orders.us', 'u-1', 3],
    ]
  )
  stop.abort()
  // Back with the last id it saw: what came meanwhile, and nothing twice.
  await post(node, '/topics/orders.eu/messages', { id: 'e-2', body: 4 })
  const again = new AbortController()
  t.teardown(() => again.abort())
  const resumed = await fetch(`${node.url}/topics/orders.*/stream`, {
    headers: { authorization: `Bearer ${tokenOf(node.url)}`, 'last-event-id': String(got[0].id) },
    signal: AbortSignal.any([again.signal, AbortSignal.timeout(30_000)]),
  })
  const rest = resumed.body!.pipeThrough(new TextDecoderStream()).getReader()
  let more = ''
  while (!more.includes('"e-2"')) {
    const { value, done } = await rest.read()
    if (done) throw new Error(`the resumed stream ended after: ${more}`)
    more += value
  }
  t.same(
    [...more.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]),
    ['u-1', 'e-2'],
    'after the resumed id, in order'
  )
  again.abort()
})
