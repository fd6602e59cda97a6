import { pino } from 'pino'
import t from 'tap'
import { HostNames } from '../../../runtime/host-names.ts'
import { bodyLimits, createApp, type LoadedRoute } from '../../../runtime/router.ts'
import { node, route, send } from '../../fixtures/app-kit.ts'

const names = new HostNames({
  bound: '127.0.0.1',
  advertise: 'http://10.1.0.5:9300',
  allowed: ['almacen.example.com'],
})

function appWith(routes: LoadedRoute[], status = { stopping: false }) {
  return createApp(routes, {
    db: {} as never,
    log: pino({ level: 'silent' }),
    node,
    membership: {} as never,
    events: {} as never,
    names,
    status,
  })
}

const routes = [
  route('get', '/stock', () => ({ items: [] })),
  route('post', '/members/leave', () => ({ left: true })),
  route('post', '/peer/ping', () => ({ pong: true })),
]

// With the Host a client sends (a test's Request carries none).
const call = (
  app: ReturnType<typeof appWith>,
  method: string,
  path: string,
  headers: Record<string, string> = {}
) => send(app, method, path, { host: '127.0.0.1:9300', ...headers })

const json = { 'content-type': 'application/json' }

t.test('a request that changes something must say it is JSON, even with no body', async (t) => {
  const app = appWith(routes)
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
    const refused = await call(app, 'POST', '/members/leave', { 'content-type': type })
    t.match(
      [refused.status, await refused.json()],
      [415, { code: 'UNSUPPORTED_MEDIA_TYPE', error: /^POST \/members\/leave .* not / }],
      `${type}: what any web page may send unasked`
    )
  }
  const none = await call(app, 'POST', '/members/leave')
  t.match(await none.json(), { code: 'UNSUPPORTED_MEDIA_TYPE', error: /no Content-Type/ })
  const ok = await call(app, 'POST', '/members/leave', {
    'content-type': 'application/json; charset=utf-8',
  })
  t.same([ok.status, await ok.json()], [200, { left: true }], 'an empty JSON request is fine')
  t.equal((await call(app, 'GET', '/stock')).status, 200, 'a read needs no content type')
  t.equal((await call(app, 'PUT', '/stock')).status, 405, 'a wrong method is still a 405')
})

t.test('a route that declares a text type takes it too, and only it', async (t) => {
  const csvRoute = route('post', '/items/import', () => ({ imported: true }))
  Object.assign(csvRoute.handler, { text: { type: 'text/csv' }, maxBodyBytes: 1_000_000 })
  const app = appWith([...routes, csvRoute])
  const csv = await call(app, 'POST', '/items/import', { 'content-type': 'text/csv' })
  t.same([csv.status, await csv.json()], [200, { imported: true }])
  t.equal((await call(app, 'POST', '/items/import', json)).status, 200, 'JSON still')
  const plain = await call(app, 'POST', '/items/import', { 'content-type': 'text/plain' })
  t.match(await plain.json(), {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    error: /application\/json or text\/csv, not text\/plain/,
  })
  const other = await call(app, 'POST', '/members/leave', { 'content-type': 'text/csv' })
  t.equal(other.status, 415, 'on its own route only')
  // The HTTP server's limit before reading, by route: the declared one there, 64 KiB elsewhere.
  const limit = bodyLimits([...routes, csvRoute])
  t.equal(limit('POST', '/items/import'), 1_000_000)
  t.equal(limit('POST', '/members/leave'), 64 * 1024)
  t.equal(limit('GET', '/items/import'), 64 * 1024, 'for its method only')
})

t.test('refuses a Host that is not one of the node names (DNS rebinding)', async (t) => {
  const app = appWith(routes)
  const refused = await call(app, 'GET', '/stock', { host: 'evil.example:9300' })
  t.match(
    [refused.status, await refused.json()],
    [
      403,
      {
        code: 'HOST_NOT_ALLOWED',
        error: /^Requests for host evil\.example are refused: .*--allowed-hosts/,
      },
    ]
  )
  for (const host of [
    'localhost:9300',
    '[::1]:9300',
    '10.1.0.5:9300',
    'ALMACEN.example.com.',
    '127.0.0.1',
  ]) {
    t.equal((await call(app, 'GET', '/stock', { host })).status, 200, `${host} is the node's`)
  }
  // A peer may use any name it was given for this node: its requests are signed instead.
  const peer = await call(app, 'POST', '/peer/ping', { ...json, host: 'madrid.corp:9300' })
  t.not((await peer.json()).code, 'HOST_NOT_ALLOWED', 'a peer goes on to its signature check')
})

t.test('refuses a state-changing request from another origin', async (t) => {
  const app = appWith(routes)
  for (const origin of ['http://evil.example', 'http://localhost:3000', 'null']) {
    const refused = await call(app, 'POST', '/members/leave', { ...json, origin })
    t.match(
      [refused.status, await refused.json()],
      [
        403,
        {
          code: 'ORIGIN_NOT_ALLOWED',
          error: `POST from a web page at ${origin} is refused: only the node's own pages may change it`,
        },
      ],
      origin
    )
  }
  const own = await call(app, 'POST', '/members/leave', {
    ...json,
    origin: 'http://127.0.0.1:9300',
  })
  t.equal(own.status, 200, 'a page the node served itself may')
  const read = await call(app, 'GET', '/stock', { origin: 'http://evil.example' })
  t.equal(read.status, 200, 'a read is not refused: the browser keeps the answer from the page')
})

t.test('while stopping, clients are turned away and peers still served', async (t) => {
  const status = { stopping: false }
  let release: () => void = () => {}
  let entered: () => void = () => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  const handling = new Promise<void>((resolve) => (entered = resolve))
  const slow = async () => (entered(), held.then(() => ({ done: true })))
  const app = appWith([...routes, route('get', '/slow', slow)], status)
  const before = await call(app, 'GET', '/stock')
  t.equal(before.headers.get('connection'), null, 'kept alive before the stop')
  const inFlight = call(app, 'GET', '/slow')
  await handling
  status.stopping = true
  release()
  const finished = await inFlight
  t.same(
    [finished.status, finished.headers.get('connection')],
    [200, 'close'],
    'a request in flight is answered, and its connection closed'
  )
  const refused = await call(app, 'GET', '/stock')
  t.match(
    [refused.status, refused.headers.get('retry-after'), refused.headers.get('connection')],
    [503, /^\d+$/, 'close']
  )
  t.match(await refused.json(), { code: 'NODE_STOPPING' })
  // A peer goes on to its signature check (unsigned here), and keeps its connection: it must
  // see this node leave, not fail.
  const peer = await call(app, 'POST', '/peer/ping', json)
  t.not((await peer.json()).code, 'NODE_STOPPING')
  t.equal(peer.headers.get('connection'), null)
})
