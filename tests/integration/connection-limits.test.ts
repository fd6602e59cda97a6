// How many connections a node holds open (--max-connections, --max-connections-per-client): one
// over a limit is answered 503 TOO_MANY_CONNECTIONS and closed, the ones it holds go on being
// served, a closed one makes room, and the operator reads why in the log.
import {
  Agent,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { pino } from 'pino'
import t from 'tap'
import { connectionLimits, HttpServer } from '../../runtime/http-server.ts'
import { until } from '../fixtures/node-process.ts'
import { startTestNode } from '../fixtures/test-node.ts'

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: any
}

/**
 * A client with one kept connection from `from` (a loopback address): each GET goes on it, and
 * it stays open between them until `close`.
 */
function client(port: number, from = '127.0.0.1') {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  return {
    get: (path = '/health') =>
      new Promise<Answer>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, agent, localAddress: from }, (res) => {
          let text = ''
          res.on('data', (chunk) => (text += chunk))
          res.on('end', () =>
            resolve({
              status: res.statusCode as number,
              headers: res.headers,
              body: JSON.parse(text),
            })
          )
        })
        req.on('error', reject)
        // Every answer here is prompt: none within 15 s fails the call, where it waited for ever.
        req.setTimeout(15_000, () => req.destroy(new Error(`no answer to GET ${path} in 15 s`)))
        req.end()
      }),
    close: () => agent.destroy(),
  }
}

async function startLimited(
  t: { teardown(fn: () => unknown): void },
  limits: { total: number; perClient: number; proxies?: string[] }
) {
  const lines: any[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  const node = await startTestNode(t, {
    log,
    logLevel: 'info',
    maxConnections: limits.total,
    maxConnectionsPerClient: limits.perClient,
    trustedProxies: limits.proxies,
  })
  return { node, lines }
}

t.test(
  'one connection over the limit is answered 503 and closed; the others stay served',
  async (t) => {
    const { node, lines } = await startLimited(t, { total: 3, perClient: 100 })
    const held = [client(node.port), client(node.port), client(node.port)]
    t.teardown(() => held.forEach((c) => c.close()))
    for (const c of held) t.equal((await c.get()).status, 200, 'a connection within the limit')

    const fourth = client(node.port)
    t.teardown(fourth.close)
    const refused = await fourth.get()
    t.match(refused, {
      status: 503,
      headers: {
        connection: 'close',
        'retry-after': '1',
        'x-request-id': /\S/,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      },
      body: {
        status: 503,
        code: 'TOO_MANY_CONNECTIONS',
        error: /3 connections open at most \(--max-connections\)/,
      },
    })
    t.match(
      lines.filter((l) => l.msg.startsWith('connections refused')),
      [{ level: 40, remote: '127.0.0.1', refused: 1, open: 4 }],
      'the operator reads it in the log, once'
    )
    for (const c of held) t.equal((await c.get()).status, 200, 'those held are still served')

    held[0].close()
    await until(async () => (await client(node.port).get()).status === 200, 5000, 'room again')
    t.pass('a closed connection makes room for a new one')
  }
)

t.test(
  'one address holds its share; another address, and a trusted proxy, are not held back',
  async (t) => {
    const { node } = await startLimited(t, { total: 100, perClient: 2, proxies: ['127.0.0.3'] })
    const opened = (from: string, n: number) =>
      Array.from({ length: n }, () => client(node.port, from))
    const local = opened('127.0.0.1', 3)
    const other = opened('127.0.0.2', 2)
    const proxy = opened('127.0.0.3', 5)
    t.teardown(() => [...local, ...other, ...proxy].forEach((c) => c.close()))
    const statuses = async (clients: ReturnType<typeof client>[]) => {
      const out: number[] = []
      for (const c of clients) out.push((await c.get()).status)
      return out
    }
    const [first, second, third] = await statuses(local)
    t.same([first, second], [200, 200], 'two from 127.0.0.1')
    t.equal(third, 503, 'the third from 127.0.0.1 refused')
    const refused = await client(node.port).get()
    t.match(refused.body, { code: 'TOO_MANY_CONNECTIONS', error: /2 connections from one address/ })
    t.same(await statuses(other), [200, 200], '127.0.0.2 has its own share')
    t.same(
      await statuses(proxy),
      [200, 200, 200, 200, 200],
      'a trusted proxy has no share: many clients are behind it'
    )
  }
)

t.test('an IPv4 client of a dual-stack socket is the address the settings name', async (t) => {
  // Listening on an IPv4-mapped address, the node sees its clients as ::ffff:127.0.0.x.
  const log = pino({ level: 'silent' })
  const limits = { total: 100, perClient: 2, exempt: ['127.0.0.3'] }
  const http = new HttpServer((_req, res) => res.end('{}'), log, undefined, undefined, 0, limits)
  const { port } = await http.listen(0, '::ffff:127.0.0.1')
  t.teardown(() => http.close(100))
  const opened = (from: string, n: number) => Array.from({ length: n }, () => client(port, from))
  const proxy = opened('127.0.0.3', 4)
  const local = opened('127.0.0.1', 3)
  t.teardown(() => [...proxy, ...local].forEach((c) => c.close()))
  for (const c of proxy)
    t.equal((await c.get('/')).status, 200, 'the trusted proxy, as ::ffff:127.0.0.3')
  const statuses: number[] = []
  for (const c of local) statuses.push((await c.get('/')).status)
  t.same(statuses, [200, 200, 503], 'another address held to its share')
})

t.test('an address a peer signed from has room beyond the total', async (t) => {
  const log = pino({ level: 'silent' })
  const limits = { total: 2, perClient: 2, exempt: [] }
  let http: HttpServer | undefined = undefined
  // As the node does once a peer's signature checked out (runtime/stages/access.ts).
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/peer/signed') http?.markPeer(req.socket)
    res.end('{}')
  }
  http = new HttpServer(listener, log, undefined, undefined, 0, limits)
  const { port } = await http.listen(0, '127.0.0.1')
  t.teardown(() => http?.close(100))
  const peer = client(port, '127.0.0.5')
  const others = [client(port, '127.0.0.6'), client(port, '127.0.0.7')]
  const again = client(port, '127.0.0.5')
  t.teardown(() => [peer, ...others, again].forEach((c) => c.close()))
  t.equal((await peer.get('/peer/signed')).status, 200, "a peer's signed request")
  t.equal((await others[0].get('/')).status, 200, 'the total reached')
  t.equal((await others[1].get('/')).status, 503, 'a stranger refused')
  t.equal((await again.get('/')).status, 200, "the peer's address: one more connection taken")
  const more = Array.from({ length: 3 }, () => client(port, '127.0.0.5'))
  t.teardown(() => more.forEach((c) => c.close()))
  const statuses: number[] = []
  for (const c of more) statuses.push((await c.get('/')).status)
  t.same(statuses, [200, 200, 200], "and not held to one address's share (2 here)")
})

t.test(
  'a connection kept alive and idle a while is closed to make room; one never used is not',
  async (t) => {
    const { connect } = await import('node:net')
    const log = pino({ level: 'silent' })
    const limits = { total: 100, perClient: 2, exempt: [] }
    const reclaimMs = 200
    const http = new HttpServer(
      (_req, res) => res.end('{}'),
      log,
      undefined,
      undefined,
      0,
      limits,
      reclaimMs
    )
    const { port } = await http.listen(0, '127.0.0.1')
    t.teardown(() => http.close(100))
    // Two connections from 127.0.0.9 that never send a request hold its share.
    const quiet = Array.from({ length: 2 }, () =>
      connect({ port, host: '127.0.0.1', localAddress: '127.0.0.9' })
    )
    t.teardown(() => quiet.forEach((s) => s.destroy()))
    await Promise.all(quiet.map((s) => new Promise((resolve) => s.once('connect', resolve))))
    const quietSince = performance.now()
    // Two kept alive from 127.0.0.1, each after one request.
    const held = [client(port), client(port)]
    const third = client(port)
    t.teardown(() => [...held, third].forEach((c) => c.close()))
    for (const c of held) t.equal((await c.get('/')).status, 200)
    t.equal((await third.get('/')).status, 503, 'idle a moment only: held, the new one refused')
    await until(async () => (await third.get('/')).status === 200, 5000, 'room made')
    t.pass('idle past the limit: the oldest is closed, and the new one served')
    t.ok(performance.now() - quietSince >= reclaimMs, '127.0.0.9 has held its two as long')
    const fromNine = client(port, '127.0.0.9')
    t.teardown(fromNine.close)
    t.equal((await fromNine.get('/')).status, 503, 'never used: not closed to make room')
  }
)

t.test('the total is at most half the open-file limit, one address a quarter of it', async (t) => {
  t.same(connectionLimits({}, 20_000).limits, { total: 10_000, perClient: 1000, exempt: [] })
  t.same(connectionLimits({}, undefined), {
    limits: { total: 10_000, perClient: 1000, exempt: [] },
  })
  const lowered = connectionLimits({ maxConnections: 5000, trustedProxies: ['10.0.0.9'] }, 1024)
  t.same(lowered.limits, { total: 512, perClient: 128, exempt: ['10.0.0.9'] })
  t.match(lowered.note, /may open 1024 files .*512 connections are held open at most, not 5000/)
  t.match(lowered.note, /one address may hold 128 connections, not 1000 .*a quarter of the 512/)
  const few = connectionLimits({ maxConnections: 16, maxConnectionsPerClient: 1_000_000 }, 20_000)
  t.same(few.limits.perClient, 4, 'one address never holds them all')
  t.match(few.note, /one address may hold 4 connections, not 1000000/)
  const fits = connectionLimits({ maxConnections: 300, maxConnectionsPerClient: 50 }, 1024)
  t.same(fits, { limits: { total: 300, perClient: 50, exempt: [] } }, 'room enough: nothing said')
})

t.test(
  'a client that sends its headers a byte at a time is cut at headersTimeout, not 30 s later',
  async (t) => {
    const { connect } = await import('node:net')
    const log = pino({ level: 'silent' })
    const http = new HttpServer((_req, res) => res.end('{}'), log, undefined, undefined, 0)
    http.server.headersTimeout = 1500 // the node's is 10 s (runtime/node.ts): the same check
    const { port } = await http.listen(0, '127.0.0.1')
    t.teardown(() => http.close(100))
    const socket = connect(port, '127.0.0.1')
    t.teardown(() => socket.destroy())
    const started = performance.now()
    let answer = ''
    socket.on('data', (chunk) => (answer += chunk))
    const closed = new Promise((resolve) => socket.on('close', resolve))
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')
    // One byte every 300 ms, never the end of the headers.
    const drip = setInterval(() => socket.writable && socket.write('a'), 300)
    t.teardown(() => clearInterval(drip))
    await closed
    const seconds = (performance.now() - started) / 1000
    t.match(answer, /^HTTP\/1\.1 408/, 'answered 408 Request Timeout')
    // Node looks for overdue requests every TIMEOUT_CHECK_MS (1 s); by its default, every 30 s.
    t.ok(seconds < 1.5 + 5, `cut after ${seconds.toFixed(1)} s (headersTimeout 1.5 s)`)
  }
)
