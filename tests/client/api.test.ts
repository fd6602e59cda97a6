import { existsSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import t from 'tap'
import { closedPort } from '../fixtures/client-kit.ts'
import { createApi } from '../../client/api.ts'
import { Interrupted, NodeRefusal, NodeUnreachable } from '../../client/errors.ts'
import { until } from '../fixtures/node-process.ts'
import { startTestNode } from '../fixtures/test-node.ts'
import { tokenOf } from '../fixtures/tokens.ts'

/** A tiny HTTP server whose answers the test scripts; it records what it was sent. */
async function fakeNode(
  t: { teardown(fn: () => unknown): void },
  answer: (req: IncomingMessage, res: ServerResponse, n: number) => void
) {
  const seen: { method?: string; url?: string; key?: string }[] = []
  const server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, key: req.headers['idempotency-key'] as string })
    req.resume()
    answer(req, res, seen.length)
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

/** The error a call fails with; a call that succeeds fails the test. */
async function failure(call: Promise<unknown>): Promise<any> {
  return call.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`)
    },
    (err) => err
  )
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

t.test('reads the node: a 2xx body comes back as data, and query values are encoded', async (t) => {
  const node = await startTestNode(t)
  const api = createApi({ url: node.url + '/', token: tokenOf(node.url) })
  await api.post('/items', { sku: 'BOLT-M8', name: 'Bolt M8 & washer', unit: 'ea' })
  t.match(await api.get('/items', { search: 'm8 & w', limit: 5, cursor: undefined }), {
    items: [{ sku: 'BOLT-M8' }],
  })
})

t.test("a refusal carries the node's sentence and code, and a 4xx is never retried", async (t) => {
  const fake = await fakeNode(t, (_req, res) =>
    json(res, 409, { status: 409, error: 'Cannot issue 5 ea', code: 'INSUFFICIENT_STOCK' })
  )
  const api = createApi({ url: fake.url, backoffMs: 1 })
  const err = await failure(api.post('/movements', { type: 'issue' }))
  t.type(err, NodeRefusal)
  t.match(err, { status: 409, code: 'INSUFFICIENT_STOCK', message: 'Cannot issue 5 ea' })
  t.equal(fake.seen.length, 1, 'sent once')
})

t.test('an answer that is not JSON is described, never shown raw', async (t) => {
  const fake = await fakeNode(t, (_req, res) => {
    res.writeHead(400, { 'content-type': 'text/html' })
    res.end('<html>Bad Request</html>')
  })
  const err = await failure(createApi({ url: fake.url }).get('/node'))
  t.match(err, { status: 400, code: 'HTTP_400', message: 'the node answered HTTP 400' })
})

t.test(
  "a proxy's 5xx is an answer lost, not a refusal: tried again with the same key",
  async (t) => {
    // nginx in front of a node that died mid-answer, perhaps after it recorded the receipt.
    const fake = await fakeNode(t, (_req, res, n) => {
      if (n > 1) return json(res, 201, { seq: 1 })
      res.writeHead(502, { 'content-type': 'text/html' })
      res.end('<html>502 Bad Gateway</html>')
    })
    const api = createApi({ url: fake.url, backoffMs: 1 })
    t.same(await api.post('/movements', { type: 'receipt' }), { seq: 1 })
    t.equal(fake.seen.length, 2)
    t.equal(fake.seen[1].key, fake.seen[0].key, 'the same key')
    const away = await fakeNode(t, (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' })
      res.end('<html>502 Bad Gateway</html>')
    })
    const err = await failure(createApi({ url: away.url, backoffMs: 1 }).post('/movements', {}))
    t.type(err, NodeUnreachable, "the outcome is unknown, as a lost answer's")
    t.ok(err.key, 'with the key to send it again with')
    t.match(err.message, /what stands in front of it answered HTTP 502 Bad Gateway/)
  }
)

t.test('a write that cannot be sent twice is sent once when its outcome is unknown', async (t) => {
  const fake = await fakeNode(t, (_req, res) =>
    json(res, 504, { error: 'The database did not answer', code: 'DB_TIMEOUT' })
  )
  const api = createApi({ url: fake.url, backoffMs: 1 })
  const err = await failure(api.postOnce('/backup', {}, 'list the backups'))
  t.type(err, NodeUnreachable)
  t.equal(fake.seen.length, 1, 'not sent again: a second backup would be taken')
  t.equal(fake.seen[0].key, undefined, 'with no key')
  t.equal(err.unconfirmed, 'list the backups')
  // Answered by the node as nothing done (not ready yet): sent again, as any call.
  const starting = await fakeNode(t, (_req, res, n) =>
    n < 2 ? json(res, 503, { error: 'Starting', code: 'NOT_READY' }) : json(res, 201, { name: 'b' })
  )
  const later = createApi({ url: starting.url, backoffMs: 1 })
  t.same(await later.postOnce('/backup', {}, 'list the backups'), { name: 'b' })
  t.equal(starting.seen.length, 2)
  // Never reached: sent again, as any call.
  const closed = createApi({ url: await closedPort(), backoffMs: 1, attempts: 2 })
  const refused = await failure(closed.postOnce('/backup', {}, 'list the backups'))
  t.equal(refused.unconfirmed, undefined, 'a refused connection sent nothing')
  t.match(refused.reason, /connection refused/)
})

t.test(
  'a DELETE carries a key, the same on a retry: what it removed is not "not found"',
  async (t) => {
    const fake = await fakeNode(t, (_req, res, n) =>
      n < 2 ? json(res, 503, { error: 'busy', code: 'DB_UNAVAILABLE' }) : json(res, 200, {})
    )
    const api = createApi({ url: fake.url, backoffMs: 1 })
    await api.delete('/queues/orders')
    t.equal(fake.seen.length, 2)
    t.ok(fake.seen[0].key, 'a key is sent')
    t.equal(fake.seen[1].key, fake.seen[0].key)
    await api.delete('/keys/k2', null)
    t.equal(fake.seen[2].key, undefined, 'none for a route that takes none')
  }
)

t.test('a 503 is retried with the same Idempotency-Key until the node answers', async (t) => {
  const fake = await fakeNode(t, (_req, res, n) =>
    n < 3 ? json(res, 503, { error: 'busy', code: 'DB_BUSY' }) : json(res, 201, { seq: 1 })
  )
  const api = createApi({ url: fake.url, backoffMs: 1 })
  t.same(await api.post('/movements', { type: 'receipt' }), { seq: 1 })
  t.equal(fake.seen.length, 3)
  t.ok(fake.seen[0].key, 'a key is sent')
  t.same(
    fake.seen.map((s) => s.key),
    [fake.seen[0].key, fake.seen[0].key, fake.seen[0].key],
    'the same key every time'
  )
})

t.test('each write gets its own key unless one is given', async (t) => {
  const fake = await fakeNode(t, (_req, res) => json(res, 201, {}))
  const api = createApi({ url: fake.url })
  await api.post('/movements', {})
  await api.post('/movements', {})
  await api.patch('/items/A', {}, 'PO-17-line-1')
  await api.get('/items')
  await api.post('/members/leave', undefined, null)
  const [first, second, third, read, none] = fake.seen.map((s) => s.key)
  t.not(first, second)
  t.equal(third, 'PO-17-line-1')
  t.equal(read, undefined, 'reads carry no key')
  t.equal(none, undefined, 'nor a write that asked for none')
})

t.test('a write sent without a key is not reported as one to retry with a key', async (t) => {
  const api = createApi({ url: await closedPort(), attempts: 1 })
  const err = await failure(api.post('/members/join', {}, null))
  t.type(err, NodeUnreachable)
  t.equal(err.key, undefined)
})

t.test('a closed port gives up after the bounded number of tries, saying why', async (t) => {
  const url = await closedPort()
  const api = createApi({ url, attempts: 3, backoffMs: 1 })
  const err = await failure(api.post('/movements', {}, 'k-1'))
  t.type(err, NodeUnreachable)
  t.match(err, { reason: 'connection refused', key: 'k-1' })
  t.equal(
    err.message,
    `Cannot reach the almacen node at ${url} (connection refused). Is it running? (npm start)`
  )
})

t.test('a node that never answers is given up on after the timeout of each try', async (t) => {
  const fake = await fakeNode(t, () => {}) // reads the request, never answers
  const api = createApi({ url: fake.url, timeoutMs: 100, attempts: 2, backoffMs: 1 })
  const err = await failure(api.get('/node'))
  t.match(err, { name: 'NodeUnreachable', reason: 'no answer within 0.1 s' })
  t.equal(
    err.message,
    `The almacen node at ${fake.url} did not answer (no answer within 0.1 s): it may be overloaded, paused or cut off from here.`,
    'not "Is it running?": something took the request, and nothing came back'
  )
  t.equal(fake.seen.length, 2)
})

t.test('a node still busy after every try is reported as busy, not as down', async (t) => {
  const fake = await fakeNode(t, (_req, res) =>
    json(res, 504, { error: 'The database did not answer in time', code: 'DB_TIMEOUT' })
  )
  const err = await failure(createApi({ url: fake.url, attempts: 2, backoffMs: 1 }).get('/stock'))
  t.match(err.message, /is up but did not answer \(The database did not answer in time\)/)
})

t.test('when every try fails, the caller may try again, with the same key', async (t) => {
  const fake = await fakeNode(t, (req, res, n) => {
    if (n === 1) return req.socket.destroy() // the first answer is lost
    json(res, 201, { ok: true })
  })
  const asked: NodeUnreachable[] = []
  const api = createApi({
    url: fake.url,
    attempts: 1,
    onUnreachable: async (err) => {
      asked.push(err)
      return true
    },
  })
  t.same(await api.post('/movements', { n: 1 }), { ok: true })
  t.equal(asked.length, 1, 'the caller was asked once')
  t.equal(fake.seen[1].key, fake.seen[0].key, 'the retry carries the first key')
  t.equal(asked[0].key, fake.seen[0].key)
})

t.test('a slow call says, every second, how long the node has not answered and why', async (t) => {
  const fake = await fakeNode(t, (_req, res, n) =>
    n === 1
      ? json(res, 503, { error: 'busy', code: 'DB_BUSY' })
      : setTimeout(() => json(res, 200, {}), 1300)
  )
  const events: string[] = []
  const progress = {
    start: () => events.push('start'),
    update: (text: string) => events.push(`update: ${text}`),
    stop: () => events.push('stop'),
  }
  const api = createApi({ url: fake.url, name: 'Madrid', backoffMs: 1, slowMs: 1000, progress })
  await api.get('/node')
  t.same(events, ['start', 'update: Madrid has not answered for 1 s (busy); still trying…', 'stop'])
})

t.test('a long poll is slow only past its hold, and its deadline is longer by it', async (t) => {
  const fake = await fakeNode(t, (_req, res) => setTimeout(() => json(res, 200, {}), 1900))
  const events: string[] = []
  const progress = {
    start: () => events.push('start'),
    update: (text: string) => events.push(`update: ${text}`),
    stop: () => events.push('stop'),
  }
  const api = createApi({
    url: fake.url,
    name: 'Madrid',
    slowMs: 1000,
    deadlineMs: 10_000,
    hint: (ms) => `(gives up after ${ms / 1000} s)`,
    progress,
  })
  await api.post('/queues/q/receive', { waitMs: 200 }, undefined, { holdMs: 200 })
  t.same(events, [
    'start',
    'update: Madrid has not answered for 1 s; still trying… (gives up after 10.2 s)',
    'stop',
  ])
})

t.test('with no limit on tries, a call waits for the node however long it takes', async (t) => {
  const fake = await fakeNode(t, (_req, res, n) =>
    n < 6 ? json(res, 503, { error: 'busy', code: 'DB_BUSY' }) : json(res, 201, { seq: 1 })
  )
  const api = createApi({ url: fake.url, attempts: Infinity, backoffMs: 1 })
  t.same(await api.post('/movements', {}), { seq: 1 })
  t.equal(fake.seen.length, 6)
})

t.test('a deadline bounds the whole call, however long each try may take', async (t) => {
  const frozen = await fakeNode(t, () => {}) // a node stopped with SIGSTOP: it never answers
  const api = createApi({ url: frozen.url, attempts: Infinity, deadlineMs: 300 })
  const started = Date.now()
  const err = await failure(api.post('/movements', {}, 'k-9'))
  t.match(err, { name: 'NodeUnreachable', reason: 'no answer within 0.3 s', key: 'k-9' })
  t.ok(Date.now() - started < 2000, 'given up at the deadline, not after 10 s tries')
})

t.test(
  'a 401 to a client that had no token says how to give one, not how to send a header',
  async (t) => {
    const node = await fakeNode(t, (_req, res) =>
      json(res, 401, {
        error: 'This needs an API token: send it as "Authorization: Bearer <token>"',
        code: 'UNAUTHENTICATED',
      })
    )
    const tokenless = await failure(createApi({ url: node.url }).get('/stock'))
    t.type(tokenless, NodeRefusal)
    t.match(tokenless, {
      code: 'UNAUTHENTICATED',
      message: /none was given: pass one with --token or ALMACEN_TOKEN.*ALMACEN_DATA_DIR/,
    })
    const refused = await failure(
      createApi({ url: node.url, token: 'almacen_wrong' }).get('/stock')
    )
    t.match(
      refused,
      { message: /^This needs an API token: send it as/ },
      "else the node's sentence"
    )
  }
)

t.test(
  'an https:// URL to a plain HTTP node says so, on one line, and does not ask whether it runs',
  async (t) => {
    const plain = await fakeNode(t, (_req, res) => json(res, 200, {}))
    const url = plain.url.replace(/^http:/, 'https:')
    const err = await failure(createApi({ url, attempts: 4 }).get('/health'))
    t.type(err, NodeUnreachable)
    t.match(err, {
      reason: /does not speak HTTPS; for a node that serves plain HTTP, use an http:\/\/ URL/,
      message: /^Cannot talk to the almacen node at https:\/\/.* safely/,
    })
    t.notMatch(err.message, /\n|Is it running/, 'one line, and no wrong advice')
  }
)

t.test('a wait between tries that would end past the deadline is not waited', async (t) => {
  const busy = await fakeNode(t, (_req, res) => json(res, 503, { error: 'busy', code: 'DB_BUSY' }))
  // The next try would come 2 s after the first: past the 0.3 s deadline, so none comes.
  const api = createApi({ url: busy.url, attempts: Infinity, backoffMs: 5000, deadlineMs: 300 })
  const started = Date.now()
  await failure(api.get('/stock'))
  t.equal(busy.seen.length, 1, 'one try')
  t.ok(Date.now() - started < 1500, 'given up at once, not after a 2 s wait')
})

t.test('Ctrl-C stops a call: a change sent is reported unconfirmed, with its key', async (t) => {
  const frozen = await fakeNode(t, () => {})
  let stops: (() => void)[] = []
  const interrupts = (stop: () => void) => {
    stops.push(stop)
    return () => void (stops = stops.filter((s) => s !== stop))
  }
  const api = createApi({ url: frozen.url, attempts: Infinity, interrupts })
  const calls = [api.get('/stock'), api.post('/movements', {}, 'k-1'), api.post('/x', {}, null)]
  await until(() => frozen.seen.length === 3, 5000, 'the three calls are waiting on the node')
  for (const stop of stops) stop()
  const [read, write, unkeyed] = await Promise.all(calls.map(failure))
  t.type(read, Interrupted)
  t.match(read, { unconfirmed: false, key: undefined })
  t.match(write, { name: 'Interrupted', unconfirmed: true, key: 'k-1' })
  t.match(unkeyed, { name: 'Interrupted', unconfirmed: true, key: undefined })
  t.same(stops, [], 'each call stopped listening when it ended')
})

t.test('a download that stalls is given up once nothing comes for the timeout', async (t) => {
  // A backup job at night must end: before, it waited for ever on a node that stopped sending.
  const fake = await fakeNode(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    res.write(Buffer.alloc(1000)) // then nothing, the connection kept open
  })
  const file = path.join(t.testdir(), 'copy.sqlite')
  const api = createApi({ url: fake.url, timeoutMs: 300 })
  const err = await failure(api.download('/backups/b.sqlite', file))
  t.type(err, NodeUnreachable)
  t.match(err.reason, /timed out/)
  t.notOk(existsSync(file), 'no file that looks whole')
})
