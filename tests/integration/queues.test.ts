// Durable queues on a real node (HTTP, runtime, worker, SQLite): publish, receive, ack; a
// delivery not acknowledged comes back after its visibility timeout and, after its deliveries, goes
// to the dead-letter queue saying why; delays, TTLs, ids that de-duplicate forever, long polls,
// and bad requests that change nothing.
import t from 'tap'
import { until } from '../fixtures/node-process.ts'
import { parseExposition, samplesOf } from '../fixtures/metrics-text.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { tokenOf } from '../fixtures/tokens.ts'

type Node = { url: string }

const post = (node: Node, path: string, body?: unknown) => api(node, 'POST', path, body)

async function receive(node: Node, queue: string, body: Record<string, unknown> = {}) {
  const reply = await post(node, `/queues/${queue}/receive`, body)
  if (reply.status !== 200)
    throw new Error(`receive: ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply.body.messages as {
    id: string
    body: unknown
    receipt: string
    deliveries: number
    headers: Record<string, string>
  }[]
}

/** Receives (up to 10 at a time) until some messages `accept` takes come, and returns those. */
async function receiveUntil(
  node: Node,
  queue: string,
  accept: (m: { deliveries: number }) => boolean
) {
  let got: Awaited<ReturnType<typeof receive>> = []
  await until(
    async () => (got = (await receive(node, queue, { max: 10 })).filter(accept)).length > 0,
    10_000,
    `messages from ${queue}`
  )
  return got
}

t.test(
  'publish, receive in order, ack: a message is delivered until it is acknowledged',
  async (t) => {
    const node = await startTestNode(t)
    const made = await post(node, '/queues', { name: 'orders', visibilityTimeoutMs: 1000 })
    t.equal(made.status, 201)
    t.match(made.body, {
      name: 'orders',
      maxDeliveries: 5,
      deadLetterQueue: 'orders.dead',
      ready: 0,
    })
    for (const n of [1, 2, 3]) {
      const published = await post(node, '/queues/orders/messages', { body: { order: n } })
      t.equal(published.status, 201)
      t.match(published.body, { id: /^[0-9a-f-]{36}$/, duplicate: false })
    }
    t.match((await api(node, 'GET', '/queues/orders')).body, { ready: 3, inFlight: 0 })

    const [first, second] = await receive(node, 'orders', { max: 2 })
    t.same([first.body, second.body], [{ order: 1 }, { order: 2 }], 'in publish order')
    t.equal(first.deliveries, 1)
    t.match((await api(node, 'GET', '/queues/orders')).body, { ready: 1, inFlight: 2 })
    const [third] = await receive(node, 'orders', { max: 10 })
    t.same(third.body, { order: 3 }, 'another consumer gets what is left, not what is in flight')

    t.same((await post(node, '/queues/orders/ack', { receipts: [first.receipt] })).body, {
      results: [{ receipt: first.receipt, ok: true }],
    })
    t.match((await post(node, '/queues/orders/ack', { receipts: [first.receipt] })).body, {
      results: [{ ok: false, problem: /acknowledged already, delivered again/ }],
    })
    // A receipt taken to another queue acknowledges nothing there, and says it may be another's.
    t.equal((await post(node, '/queues', { name: 'returns' })).status, 201)
    t.match((await post(node, '/queues/returns/ack', { receipts: [third.receipt] })).body, {
      results: [{ ok: false, problem: /or the receipt is another queue's/ }],
    })
    t.match((await api(node, 'GET', '/queues/orders')).body, { inFlight: 2 }, 'still in flight')
    // Not acknowledged: back after the visibility timeout (each its own), with another receipt.
    const again: Awaited<ReturnType<typeof receive>> = []
    await until(
      async () => {
        again.push(
          ...(await receive(node, 'orders', { max: 10 })).filter((m) => m.deliveries === 2)
        )
        return again.length === 2
      },
      10_000,
      'both unacknowledged messages come back'
    )
    t.same(
      again.map((m) => m.body).sort((a: any, b: any) => a.order - b.order),
      [{ order: 2 }, { order: 3 }]
    )
    t.match(
      (await post(node, '/queues/orders/ack', { receipts: [second.receipt] })).body,
      {
        results: [{ ok: false }],
      },
      "the first delivery's receipt no longer acknowledges it"
    )
    const acked = await post(node, '/queues/orders/ack', { receipts: again.map((m) => m.receipt) })
    t.same(
      acked.body.results.map((r: { ok: boolean }) => r.ok),
      [true, true]
    )
    t.match((await api(node, 'GET', '/queues/orders')).body, { ready: 0, inFlight: 0, delayed: 0 })
  }
)

t.test('after its deliveries a message goes to the dead-letter queue, saying why', async (t) => {
  const node = await startTestNode(t)
  await post(node, '/queues', { name: 'labels', visibilityTimeoutMs: 1, maxDeliveries: 2 })
  await post(node, '/queues/labels/messages', {
    id: 'label-7',
    body: 'print 7',
    headers: { printer: 'p1' },
  })
  t.equal((await receive(node, 'labels'))[0].deliveries, 1)
  const [second] = await receiveUntil(node, 'labels', () => true)
  t.equal(second.deliveries, 2)
  await until(
    async () => (await api(node, 'GET', '/queues/labels')).body.deadLetters === 1,
    5000,
    'dead-lettered once its visibility passes'
  )
  t.equal((await receive(node, 'labels')).length, 0, 'never delivered a third time')
  const [dead] = await receive(node, 'labels.dead')
  t.match(dead, {
    id: 'label-7',
    body: 'print 7',
    headers: {
      printer: 'p1',
      'x-dead-reason': 'delivered 2 times without an ack',
      'x-dead-from': 'labels',
      'x-dead-deliveries': '2',
    },
  })
})

t.test(
  'delay, nack with a delay, TTL, and an id taken once whenever it is sent again',
  async (t) => {
    const node = await startTestNode(t)
    await post(node, '/queues', { name: 'jobs' })
    await post(node, '/queues/jobs/messages', { id: 'late', body: 1, delayMs: 1500 })
    t.equal((await receive(node, 'jobs')).length, 0, 'hidden while delayed')
    t.match((await api(node, 'GET', '/queues/jobs')).body, { ready: 0, delayed: 1 })
    const started = Date.now()
    const [late] = await receive(node, 'jobs', { waitMs: 5000 })
    t.equal(late.id, 'late', 'a long poll gets it when its delay is over')
    t.ok(Date.now() - started < 4000, 'not at the end of the wait')
    await post(node, '/queues/jobs/nack', { receipts: [late.receipt], delayMs: 1500 })
    t.equal((await receive(node, 'jobs')).length, 0, 'nacked with a delay: hidden')
    const [back] = await receive(node, 'jobs', { waitMs: 5000 })
    t.match(back, { id: 'late', deliveries: 2 })
    await post(node, '/queues/jobs/ack', { receipts: [back.receipt] })

    const again = await post(node, '/queues/jobs/messages', { id: 'late', body: 'other' })
    t.match(
      again,
      { status: 201, body: { id: 'late', duplicate: true } },
      'acknowledged long ago, still known'
    )
    t.equal((await receive(node, 'jobs')).length, 0, 'and not stored again')

    await post(node, '/queues/jobs/messages', { id: 'stale', body: 2, ttlMs: 1 })
    await until(
      async () => (await api(node, 'GET', '/queues/jobs')).body.deadLetters === 1,
      2000,
      'counted dead once past its TTL'
    )
    t.equal((await receive(node, 'jobs')).length, 0, 'past its TTL: not delivered')
    t.match((await receive(node, 'jobs.dead'))[0].headers, { 'x-dead-reason': /^expired at / })

    // Both count from the publish: one that would expire before it is visible is refused.
    t.match(
      await post(node, '/queues/jobs/messages', { body: 3, delayMs: 60_000, ttlMs: 30_000 }),
      {
        status: 400,
        body: {
          code: 'VALIDATION_FAILED',
          details: [
            {
              path: 'ttlMs',
              message:
                'must be longer than delayMs: both count from the publish, and the message would expire before it is visible',
            },
          ],
        },
      }
    )
    t.match((await api(node, 'GET', '/queues/jobs')).body, { delayed: 0 }, 'nothing stored')
  }
)

t.test('a long poll is woken by a publish, and ends empty at its wait', async (t) => {
  const node = await startTestNode(t)
  await post(node, '/queues', { name: 'events' })
  const waiting = receive(node, 'events', { waitMs: 10_000 })
  // Whichever reaches the node first, the receive gets the message without waiting out its wait.
  const started = Date.now()
  await post(node, '/queues/events/messages', { body: 'hello' })
  t.same(
    (await waiting).map((m) => m.body),
    ['hello']
  )
  t.ok(Date.now() - started < 5000, 'at once, not at the end of the wait')
  const before = Date.now()
  t.same(await receive(node, 'events', { waitMs: 300 }), [])
  t.ok(Date.now() - before >= 290, 'it waited its wait')
})

t.test(
  'a waiting receive takes the message in the commit of the publish that wakes it',
  async (t) => {
    const node = await startTestNode(t)
    await post(node, '/queues', { name: 'labels' })
    const metric = async (name: string, labels: Record<string, string>) => {
      const page = parseExposition(String((await api(node, 'GET', '/metrics')).body))
      return samplesOf(page, name, labels).reduce((sum, s) => sum + s.value, 0)
    }
    const reads = () => metric('almacen_db_batch_envelopes_sum', { kind: 'read' })
    const writes = async () => ({
      batches: await metric('almacen_db_batch_envelopes_count', { kind: 'write' }),
      envelopes: await metric('almacen_db_batch_envelopes_sum', { kind: 'write' }),
    })
    const before = await reads()
    const waiting = receive(node, 'labels', { waitMs: 20_000 })
    // Once it waits: its peek is read (the scrapes' own reads taken out).
    let scrapes = 0
    await until(
      async () => (await reads()) - before - ++scrapes >= 1,
      10_000,
      'the long poll looked at the queue'
    )
    const ahead = await writes()
    const published = await post(node, '/queues/labels/messages', { body: 'label 12' })
    t.equal(published.status, 201)
    t.same(
      (await waiting).map((m) => m.body),
      ['label 12']
    )
    const after = await writes()
    t.same(
      { batches: after.batches - ahead.batches, envelopes: after.envelopes - ahead.envelopes },
      { batches: 1, envelopes: 2 },
      'the publish and the take: two writes, one commit'
    )
  }
)

t.test(
  'a waiting receive woken by a publish that brings nothing (a duplicate) waits on for the next',
  async (t) => {
    const node = await startTestNode(t)
    await post(node, '/queues', { name: 'labels' })
    t.equal((await post(node, '/queues/labels/messages', { id: 'l-1', body: 'one' })).status, 201)
    const [first] = await receive(node, 'labels')
    await post(node, '/queues/labels/ack', { receipts: [first.receipt] })
    const reads = async () => {
      const page = parseExposition(String((await api(node, 'GET', '/metrics')).body))
      return samplesOf(page, 'almacen_db_batch_envelopes_sum', { kind: 'read' }).reduce(
        (sum, s) => sum + s.value,
        0
      )
    }
    const before = await reads()
    const waiting = post(node, '/queues/labels/receive', { waitMs: 20_000 })
    let scrapes = 0
    await until(
      async () => (await reads()) - before - ++scrapes >= 1,
      10_000,
      'the long poll looked at the queue'
    )
    // l-1 again: a duplicate, kept once. It wakes the wait to take, and there is nothing.
    const again = await post(node, '/queues/labels/messages', { id: 'l-1', body: 'one' })
    t.match(again, { status: 201, body: { duplicate: true } })
    t.equal((await post(node, '/queues/labels/messages', { id: 'l-2', body: 'two' })).status, 201)
    // Answered at the duplicate, the wait would have come back empty (or, once, with a 500).
    const answer = await waiting
    t.equal(answer.status, 200)
    t.same(
      answer.body.messages.map((m: { body: unknown }) => m.body),
      ['two'],
      'the same long poll gets the next message'
    )
  }
)

t.test('a consumer that goes away while it waits takes nothing from the queue', async (t) => {
  const node = await startTestNode(t)
  await post(node, '/queues', { name: 'picks', visibilityTimeoutMs: 60_000 })
  // A sum over the samples of one metric from GET /metrics (each scrape is a read of its own).
  const metric = async (name: string, labels: Record<string, string>) => {
    const page = parseExposition(String((await api(node, 'GET', '/metrics')).body))
    return samplesOf(page, name, labels).reduce((sum, s) => sum + s.value, 0)
  }
  const finished = () =>
    metric('almacen_http_request_duration_seconds_count', { route: '/queues/:name/receive' })
  // The worker's read envelopes so far; each scrape adds its own (node.metrics), counted after it.
  const reads = () => metric('almacen_db_batch_envelopes_sum', { kind: 'read' })
  const before = await reads()
  // A scanner's long poll, cut off: its connection closes before anything is published.
  const scanner = new AbortController()
  const waiting = fetch(`${node.url}/queues/picks/receive`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokenOf(node.url)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ waitMs: 20_000 }),
    signal: scanner.signal,
  }).catch(() => 'gone')
  // Cut once it waits: its peek is read (the scrapes' own reads taken out), as a take would be.
  let scrapes = 0
  await until(
    async () => (await reads()) - before - ++scrapes >= 1,
    10_000,
    'the long poll looked at the queue'
  )
  scanner.abort()
  t.equal(await waiting, 'gone')
  await until(async () => (await finished()) === 1, 10_000, 'the node ends the abandoned wait')
  await post(node, '/queues/picks/messages', { body: 'pick 7' })
  // The next consumer gets it now, not after the 60 s the cut-off one would have hidden it.
  t.same(
    (await receive(node, 'picks')).map((m) => m.body),
    ['pick 7']
  )
  t.match((await api(node, 'GET', '/queues/picks')).body, { ready: 0, inFlight: 1 })
})

t.test(
  'a long poll takes nothing once its token is revoked, or its user disabled, while it waits',
  async (t) => {
    const node = await startTestNode(t)
    await post(node, '/queues', { name: 'payroll' })
    const reads = async () => {
      const page = parseExposition(String((await api(node, 'GET', '/metrics')).body))
      return samplesOf(page, 'almacen_db_batch_envelopes_sum', { kind: 'read' })[0].value
    }
    const cases: [string, (token: { id: string }) => Promise<unknown>, RegExp][] = [
      ['revoked', (token) => post(node, `/tokens/${token.id}/revoke`), /was revoked at/],
      [
        'disabled',
        () => api(node, 'PATCH', '/users/opa', { disabled: true }),
        /The user opa is disabled/,
      ],
    ]
    await post(node, '/users', { name: 'opa', role: 'operator' })
    for (const [what, withdraw, said] of cases) {
      await api(node, 'PATCH', '/users/opa', { disabled: false })
      const token = (await post(node, '/tokens', { user: 'opa', name: what })).body
      const before = await reads()
      const waiting = api(
        node,
        'POST',
        '/queues/payroll/receive',
        { waitMs: 20_000 },
        { authorization: `Bearer ${token.token}` }
      )
      // Once it waits: its peek is read (each scrape adds a read of its own, taken out).
      let scrapes = 0
      await until(async () => (await reads()) - before - ++scrapes >= 1, 10_000, 'it waits')
      await withdraw(token)
      await post(node, '/queues/payroll/messages', { id: `after-${what}`, body: 'salaries' })
      t.match(
        await waiting,
        { status: 401, body: { code: 'UNAUTHENTICATED', error: said } },
        `${what} while it waited: 401`
      )
      t.match(
        (await api(node, 'GET', '/queues/payroll')).body,
        { ready: 1, inFlight: 0 },
        'and the message is still there for those who may have it'
      )
      await post(node, '/queues/payroll/purge', { confirm: 'payroll' })
    }
  }
)

t.test('a text body is a message as it is, its id in the query', async (t) => {
  const node = await startTestNode(t)
  await post(node, '/queues', { name: 'labels' })
  const text = { 'content-type': 'text/plain' }
  const sent = await api(
    node,
    'POST',
    '/queues/labels/messages?id=l-1',
    'BOLT-M8 x 40 to bay 3',
    text
  )
  t.match(sent, { status: 201, body: { id: 'l-1', duplicate: false } })
  t.match(await api(node, 'POST', '/queues/labels/messages?id=l-1', 'again', text), {
    body: { duplicate: true },
  })
  t.match(await receive(node, 'labels'), [{ id: 'l-1', body: 'BOLT-M8 x 40 to bay 3' }])
  t.match(
    await api(node, 'POST', '/queues/labels/messages', 'x', { 'content-type': 'image/png' }),
    {
      status: 415,
    }
  )
  t.match(
    await api(node, 'POST', '/queues/labels/messages?id=l-2', { body: 'x' }),
    { status: 400, body: { code: 'VALIDATION_FAILED', details: [{ path: 'id' }] } },
    'a JSON message gives its id in its body: one in the query is refused, not dropped'
  )
  t.match((await api(node, 'GET', '/queues/labels')).body, { ready: 0 }, 'nothing published')
})

t.test('a batch publishes many in one commit, each with its own result', async (t) => {
  const node = await startTestNode(t)
  await post(node, '/queues', { name: 'bulk' })
  const messages = Array.from({ length: 500 }, (_, i) => ({ id: `m-${i}`, body: { i } }))
  const first = await post(node, '/queues/bulk/messages/batch', { messages })
  t.equal(first.status, 200)
  t.equal(first.body.results.filter((r: { duplicate: boolean }) => !r.duplicate).length, 500)
  const again = await post(node, '/queues/bulk/messages/batch', {
    messages: messages.slice(495).concat([{ id: 'm-new', body: { i: -1 } }]),
  })
  t.same(
    again.body.results.map((r: { duplicate: boolean }) => r.duplicate),
    [true, true, true, true, true, false]
  )
  const got = await receive(node, 'bulk', { max: 100 })
  t.same(
    got.map((m) => m.id),
    messages.slice(0, 100).map((m) => m.id),
    'in order'
  )
})

t.test(
  'a publish without an id, sent again with its Idempotency-Key, is answered as the first was',
  async (t) => {
    const node = await startTestNode(t)
    await post(node, '/queues', { name: 'orders' })
    await post(node, '/topics', { name: 'orders.eu' })
    const key = (k: string) => ({ 'idempotency-key': k })
    for (const path of ['/queues/orders/messages', '/topics/orders.eu/messages']) {
      const first = await api(node, 'POST', path, { body: { order: 1 } }, key(`one:${path}`))
      t.equal(first.status, 201, path)
      const again = await api(node, 'POST', path, { body: { order: 1 } }, key(`one:${path}`))
      t.equal(again.status, 201, `${path}: the retry`)
      t.same(again.body, first.body, `${path}: the first answer`)
      t.equal(again.headers.get('idempotent-replayed'), 'true')
      // The key with another message is still a reuse of it.
      const other = await api(node, 'POST', path, { body: { order: 2 } }, key(`one:${path}`))
      t.match(other, { status: 422, body: { code: 'IDEMPOTENCY_KEY_REUSED' } })
    }
    const batch = { messages: [{ body: 'a' }, { body: 'b' }] }
    const first = await api(node, 'POST', '/queues/orders/messages/batch', batch, key('two'))
    const again = await api(node, 'POST', '/queues/orders/messages/batch', batch, key('two'))
    t.equal(again.status, 200)
    t.same(again.body, first.body, 'a batch: the first answer')
    const ids = first.body.results.map((r: { id: string }) => r.id)
    t.equal(new Set(ids).size, 2, 'each message of the batch its own id')
    const got = await receive(node, 'orders', { max: 10 })
    t.same(
      got.map((m) => m.body),
      [{ order: 1 }, 'a', 'b'],
      'each taken once'
    )
  }
)

/** A new operator, and the Authorization header of a token made for them. */
async function operator(node: Node, name: string) {
  await post(node, '/users', { name, role: 'operator' })
  const made = await post(node, '/tokens', { user: name, name: 'test' })
  return { authorization: `Bearer ${made.body.token}` }
}

/** A JSON value `levels` deep: [[[…]]]. */
const nested = (levels: number): unknown => (levels === 0 ? 1 : [nested(levels - 1)])

t.test('bad requests are refused, naming the problem, and change nothing', async (t) => {
  const node = await startTestNode(t)
  await post(node, '/queues', { name: 'q' })
  await post(node, '/topics', { name: 't' })
  const cases: [string, unknown, RegExp][] = [
    ['/queues', { name: 'bad name!' }, /name must be 1-100 letters/],
    ['/queues', { name: 'x.dead' }, /cannot end in \.dead/],
    ['/queues', { name: 'q', maxDeliveries: 0 }, /maxDeliveries must be at least 1/],
    ['/queues/q/messages', {}, /body/],
    ['/queues/q/messages', { body: 1, delayMs: -5 }, /delayMs must not be negative/],
    ['/queues/q/messages', { body: 1, id: '' }, /id must be 1-200 visible ASCII/],
    // A subscription's queue holds the node's events as event:<seq> beside what is published.
    ['/topics/t/messages', { body: 1, id: 'event:1' }, /id must not start with event:/],
    // A peer's message federated here is kept as <its node id>/<its id>: not to be pre-empted.
    [
      '/topics/t/messages',
      { body: 1, id: '0b9d4e7a-2c61-4f3b-8e15-7a4c9d2f6b30/order-1042' },
      /id must not start with a node id and \//,
    ],
    // 65 levels: with a federation hop's envelope around it, more than a peer takes (100).
    ['/queues/q/messages', { body: nested(65) }, /body must not nest more than 64 levels deep/],
    [
      '/queues/q/messages',
      { body: 1, headers: { note: 'red\u001b[31m' } },
      /headers\.note must not hold control characters/,
    ],
    // The headers the node sets itself: a publisher could pass a message off as federated from
    // another warehouse, or as dead-lettered.
    ...['x-origin', 'X-Origin-Name', 'x-dead-reason', 'x-topic', 'x-event-seq'].map(
      (name): [string, unknown, RegExp] => [
        '/queues/q/messages',
        { body: 1, headers: { [name]: 'forged' } },
        new RegExp(`headers\\.${name} is a header the node sets itself`),
      ]
    ),
    ['/topics/t/messages', { body: 1, headers: { 'x-origin': 'B' } }, /headers\.x-origin is a/],
    // Names a consumer could take for one of those, or for none: header names only.
    ...[' x-origin', 'x\u2010origin', '', 'x origin'].map((name): [string, unknown, RegExp] => [
      '/queues/q/messages',
      { body: 1, headers: { [name]: 'forged' } },
      /must be 1-100 letters, digits or .* \(a header name\)/,
    ]),
    // Parsed as an own field, then dropped by a record without a word: refused, not lost.
    [
      '/queues/q/messages',
      JSON.parse('{"body":1,"headers":{"__proto__":{"x-origin":"forged"}}}'),
      /headers must not name a header __proto__/,
    ],
    ['/queues/q/receive', { max: 1000 }, /max must be at most 100/],
    ['/queues/q/receive', { waitMs: 60_000 }, /waitMs must be at most 20000 ms/],
    ['/queues/q/ack', { receipts: [] }, /receipts must name at least one receipt/],
  ]
  for (const [path, body, error] of cases) {
    t.match(
      await post(node, path, body),
      { status: 400, body: { error } },
      `${path} ${JSON.stringify(body)}`
    )
  }
  // The message's own limit is the one a publisher meets: a body at it fits the request with its
  // id and headers; one past it is refused by that limit, said as such; a request past four times
  // it is refused at the door.
  const atLimit = {
    id: 'at-the-limit',
    body: 'x'.repeat(64 * 1024 - 2),
    headers: { source: 'erp' },
  }
  t.equal((await post(node, '/queues', { name: 'large' })).status, 201)
  t.match(
    await post(node, '/queues/large/messages', atLimit),
    { status: 201 },
    'a body of 64 KiB as JSON'
  )
  t.equal((await api(node, 'DELETE', '/queues/large')).status, 200)
  t.match(await post(node, '/queues/q/messages', { body: 'x'.repeat(70 * 1024) }), {
    status: 400,
    body: { error: /body is 71682 bytes as JSON; a message may be at most 65536/ },
  })
  t.match(
    await post(node, '/queues/q/messages', { body: 'x'.repeat(260 * 1024) }),
    { status: 413 },
    'a body past the route limit'
  )
  const batch = { messages: [{ body: 'x'.repeat(65 * 1024) }] }
  t.match(await post(node, '/queues/q/messages/batch', batch), {
    status: 400,
    body: { error: /messages\.0\.body is \d+ bytes as JSON; a message may be at most 65536/ },
  })
  t.match(await post(node, '/queues', { name: 'q' }), { status: 409, body: { code: 'CONFLICT' } })
  t.match(await post(node, '/queues/nope/messages', { body: 1 }), {
    status: 404,
    body: { error: 'No queue named nope' },
  })
  t.match(await api(node, 'DELETE', '/queues/q.dead'), {
    status: 409,
    body: { error: /delete that queue/ },
  })
  t.match((await api(node, 'GET', '/queues/q')).body, { ready: 0, delayed: 0, inFlight: 0 })

  // A purge needs the queue's name again; then every message goes, and Prometheus sees it.
  await post(node, '/queues/q/messages/batch', { messages: [{ body: 1 }, { body: 2 }] })
  const metrics = async () => (await api(node, 'GET', '/metrics')).body as string
  t.match(await metrics(), /almacen_queue_messages\{queue="q",state="ready"\} 2/)
  t.match(await post(node, '/queues/q/purge', { confirm: 'orders' }), {
    status: 400,
    body: { error: /confirm must be the queue's name, q, to purge it/ },
  })
  t.match(
    (await api(node, 'GET', '/queues/q')).body,
    { ready: 2 },
    'a wrong confirm purges nothing'
  )
  t.same((await post(node, '/queues/q/purge', { confirm: 'q' })).body, { purged: 2 })
  t.match(await metrics(), /almacen_queue_messages\{queue="q",state="ready"\} 0/)
  t.match(await post(node, '/queues/q/messages', { body: nested(64) }), { status: 201 }, '64 deep')

  t.same((await api(node, 'DELETE', '/queues/q')).body, { deleted: ['q', 'q.dead'] })
  t.same((await api(node, 'GET', '/queues')).body, { queues: [] })
})

t.test(
  'a consumer acks what it handled with its next receive: one request, one commit, at once',
  async (t) => {
    const node = await startTestNode(t)
    await post(node, '/queues', { name: 'picks' })
    for (const n of [1, 2, 3, 4, 5]) await post(node, '/queues/picks/messages', { body: n })
    const first = await receive(node, 'picks', { max: 2 })
    t.same(
      first.map((m) => m.body),
      [1, 2]
    )
    const second = await post(node, '/queues/picks/receive', {
      max: 2,
      ack: first.map((m) => m.receipt),
    })
    t.equal(second.status, 200)
    t.same(
      second.body.acked.map((a: { ok: boolean }) => a.ok),
      [true, true]
    )
    t.same(
      second.body.messages.map((m: { body: number }) => m.body),
      [3, 4],
      'the next ones, never those just acknowledged'
    )
    const receipts = second.body.messages.map((m: { receipt: string }) => m.receipt)
    const third = await post(node, '/queues/picks/receive', {
      max: 10,
      ack: [...receipts, receipts[0], '9.never-given', 'garbage'],
    })
    t.same(
      third.body.acked.map((a: { ok: boolean }) => a.ok),
      [true, true, false, false, false],
      'a receipt given twice is acknowledged once; one that holds nothing is named'
    )
    t.match(third.body.acked[3], {
      receipt: '9.never-given',
      problem: /no delivery of this queue holds it/,
    })
    t.match(third.body.acked[4], {
      receipt: 'garbage',
      problem: /^is not a receipt as this node gives them/,
    })
    t.same(
      third.body.messages.map((m: { body: number }) => m.body),
      [5]
    )
    // A receive with acks answers at once: a wait with them is refused, not left out silently.
    const waiting = await post(node, '/queues/picks/receive', {
      waitMs: 20_000,
      ack: [third.body.messages[0].receipt],
    })
    t.match(waiting, {
      status: 400,
      body: { details: [{ path: 'waitMs', message: /cannot go with ack/ }] },
    })
    t.match((await api(node, 'GET', '/queues/picks')).body, { depth: 1, inFlight: 1 })
    const last = await post(node, '/queues/picks/receive', {
      ack: [third.body.messages[0].receipt],
    })
    t.match(last, { status: 200, body: { acked: [{ ok: true }], messages: [] } })
    t.match((await api(node, 'GET', '/queues/picks')).body, { depth: 0, inFlight: 0 })

    const before = (await api(node, 'GET', '/queues/picks')).body
    const bad = await post(node, '/queues/picks/receive', { ack: [] })
    t.match(bad, {
      status: 400,
      body: { code: 'VALIDATION_FAILED', details: [{ path: 'ack' }] },
    })
    t.same((await api(node, 'GET', '/queues/picks')).body, before, 'and nothing changed')
  }
)

t.test('a queue kept to granted users: each may only what it was granted', async (t) => {
  const node = await startTestNode(t)
  const [erp, clerk] = [await operator(node, 'erp'), await operator(node, 'clerk')]
  const as = (who: Record<string, string>, path: string, body?: unknown) =>
    api(node, 'POST', path, body ?? {}, who)
  await post(node, '/queues', { name: 'orders' })
  t.match(
    await as(clerk, '/queues/orders/messages', { body: 1 }),
    { status: 201 },
    'no grant: any operator'
  )
  t.match(await as(clerk, '/queues/orders/purge', { confirm: 'orders' }), {
    status: 403,
    body: {
      error:
        'clerk may not manage on queue orders: only an admin manages it while no user is granted',
    },
  })

  t.match(
    await post(node, '/grants', { kind: 'queue', name: 'orders', user: 'erp' }),
    {
      status: 400,
      body: { code: 'VALIDATION_FAILED', error: /A grant must give publish, consume or manage/ },
    },
    'a grant of nothing is refused: as the first grant it would lock every operator out'
  )
  // Nor to a user who cannot use it: a viewer, a disabled user.
  await post(node, '/users', { name: 'auditor', role: 'viewer' })
  await post(node, '/users', { name: 'gone', role: 'operator' })
  t.equal((await api(node, 'PATCH', '/users/gone', { disabled: true })).status, 200)
  for (const [user, why] of [
    ['auditor', 'is a viewer, who may neither publish nor consume'],
    ['gone', 'is disabled'],
  ]) {
    t.match(await post(node, '/grants', { kind: 'queue', name: 'orders', user, consume: true }), {
      status: 409,
      body: {
        code: 'CONFLICT',
        error: `${user} ${why}: a grant to them would keep every operator out of queue orders and give nobody its use`,
      },
    })
  }
  t.same(
    (await api(node, 'GET', '/grants?kind=queue&name=orders')).body,
    { grants: [] },
    'nothing granted: the queue is still open to operators'
  )
  t.match(
    await post(node, '/grants', { kind: 'queue', name: 'orders', user: 'erp', consume: true }),
    {
      status: 200,
      body: {
        kind: 'queue',
        name: 'orders',
        user: 'erp',
        publish: false,
        consume: true,
        manage: false,
      },
    }
  )
  t.match(await as(clerk, '/queues/orders/receive'), {
    status: 403,
    body: {
      code: 'FORBIDDEN',
      error:
        /clerk may not consume on queue orders: it is kept to the users granted, and clerk is not one of them/,
    },
  })
  t.match(
    await as(clerk, '/queues/orders/receive', { ack: ['1.not-yours'] }),
    { status: 403, body: { code: 'FORBIDDEN', error: /clerk may not consume on queue orders/ } },
    'acks carried by a receive are checked as the receive is'
  )
  // On an empty queue (its waits end only on a publish or their time): refused before the wait.
  await post(node, '/queues', { name: 'picks' })
  await post(node, '/grants', { kind: 'queue', name: 'picks', user: 'erp', consume: true })
  const waited = Date.now()
  t.match(
    await as(clerk, '/queues/picks/receive', { waitMs: 20_000 }),
    { status: 403, body: { code: 'FORBIDDEN', error: /clerk may not consume on queue picks/ } },
    'a long poll is checked before it waits, not when a message comes'
  )
  t.ok(Date.now() - waited < 10_000, 'at once')
  t.match(await as(erp, '/queues/orders/messages', { body: 2 }), {
    status: 403,
    body: { error: /erp may not publish on queue orders: .* erp is not granted publish/ },
  })
  const look = (who: Record<string, string>) =>
    api(node, 'GET', '/queues/orders/messages', undefined, who)
  t.match(await look(clerk), {
    status: 403,
    body: {
      error: 'clerk may not read queue orders: queue orders is kept to the users granted consume',
    },
  })
  t.match(await look(erp), { status: 200, body: { messages: [{ body: 1 }] } }, 'erp may look')
  // The same for a topic's stream, refused before it starts for a topic the pattern covers.
  await post(node, '/topics', { name: 'orders.eu' })
  await post(node, '/grants', { kind: 'topic', name: 'orders.eu', user: 'erp', consume: true })
  const stream = async (who: Record<string, string>) => {
    const stop = new AbortController()
    const response = await fetch(`${node.url}/topics/orders.*/stream`, {
      headers: who,
      signal: stop.signal,
    })
    const body = response.status === 200 ? undefined : await response.json()
    stop.abort()
    return { status: response.status, body }
  }
  t.match(await stream(clerk), {
    status: 403,
    body: {
      error:
        'clerk may not read the topics of orders.*: topic orders.eu is kept to the users granted consume',
    },
  })
  t.match(await stream(erp), { status: 200 }, 'erp may follow them')
  // A subscription's queue holds its topics' messages: the same grants govern it, and its dead
  // letters, whatever the queue's own grants (it has none).
  t.match(await post(node, '/topics/>/subscriptions', { name: 'everything' }), { status: 201 })
  t.match(await post(node, '/topics/orders.eu/messages', { id: 'eu-1', body: 'x' }), {
    status: 201,
  })
  const refused =
    'clerk may not read subscription everything: topic orders.eu is kept to the users granted consume'
  t.match(await as(clerk, '/queues/everything/receive', { max: 10 }), {
    status: 403,
    body: { error: refused },
  })
  t.match(await as(clerk, '/queues/everything/receive', { waitMs: 20_000 }), {
    status: 403,
    body: { error: refused },
  })
  const browsed = await fetch(`${node.url}/queues/everything/messages`, { headers: clerk })
  t.equal(browsed.status, 403, 'nor look at it')
  t.match(await as(clerk, '/queues/everything.dead/receive', { max: 10 }), {
    status: 403,
    body: { error: /clerk may not read subscription everything\.dead/ },
  })
  t.match(
    await as(erp, '/queues/everything/receive', { max: 10 }),
    { status: 200, body: { messages: [{ id: 'eu-1' }] } },
    'erp, granted consume on orders.eu, may'
  )
  const got = await as(erp, '/queues/orders/receive', { max: 10 })
  t.match(got, { status: 200, body: { messages: [{ body: 1 }] } }, 'erp consumes')
  t.match(await as(erp, '/queues/orders/ack', { receipts: [got.body.messages[0].receipt] }), {
    status: 200,
  })
  t.match(
    await post(node, '/queues/orders/messages', { body: 3 }),
    { status: 201 },
    'an admin always may'
  )

  await post(node, '/grants', { kind: 'queue', name: 'orders', user: 'clerk', manage: true })
  t.same((await as(clerk, '/queues/orders/purge', { confirm: 'orders' })).body, { purged: 1 })
  t.match((await api(node, 'GET', '/grants?kind=queue&name=orders')).body.grants, [
    { user: 'clerk', manage: true },
    { user: 'erp', consume: true },
  ])
  for (const user of ['erp', 'clerk']) {
    t.same((await api(node, 'DELETE', `/grants/queue/orders/${user}`)).body, { deleted: true })
  }
  t.match(
    await as(clerk, '/queues/orders/receive'),
    { status: 200 },
    'no grant left: the roles decide'
  )
  t.match(
    await post(node, '/grants', { kind: 'queue', name: 'nope', user: 'erp', consume: true }),
    {
      status: 404,
      body: { error: 'No queue named nope' },
    }
  )
})

t.test('a dead-letter queue is kept as its queue is: the same grants govern it', async (t) => {
  const node = await startTestNode(t)
  const [erp, clerk] = [await operator(node, 'erp'), await operator(node, 'clerk')]
  await post(node, '/queues', { name: 'pins', visibilityTimeoutMs: 1, maxDeliveries: 1 })
  await post(node, '/grants', { kind: 'queue', name: 'pins', user: 'erp', consume: true })
  await post(node, '/queues/pins/messages', { id: 'p1', body: { pin: '9999' } })
  t.equal((await receive(node, 'pins')).length, 1)
  await until(
    async () => (await api(node, 'GET', '/queues/pins')).body.deadLetters === 1,
    5000,
    'dead-lettered'
  )
  t.equal((await receive(node, 'pins')).length, 0, 'never delivered again: in pins.dead')
  const refused = {
    status: 403,
    body: { code: 'FORBIDDEN', error: /^clerk may not (consume on|read) queue pins\.dead/ },
  }
  t.match(await api(node, 'GET', '/queues/pins.dead/messages', undefined, clerk), refused)
  t.match(await api(node, 'POST', '/queues/pins.dead/receive', {}, clerk), refused)
  t.notMatch(
    JSON.stringify((await api(node, 'GET', '/queues/pins.dead/messages', undefined, clerk)).body),
    '9999',
    'nothing of the message'
  )
  const got = await api(node, 'POST', '/queues/pins.dead/receive', {}, erp)
  t.match(got, { status: 200, body: { messages: [{ id: 'p1', body: { pin: '9999' } }] } })
})
