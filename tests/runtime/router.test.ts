import { pino } from 'pino'
import t from 'tap'
import type { DbClient } from '../../runtime/db-client.ts'
import { HttpError } from '../../runtime/errors.ts'
import { createApp, loadRoutes, type LoadedRoute } from '../../runtime/router.ts'
import { node, route, send } from '../fixtures/app-kit.ts'

function appWith(routes: LoadedRoute[], db: Partial<DbClient> = {}) {
  return createApp(routes, {
    db: db as DbClient,
    log: pino({ level: 'silent' }),
    node,
    membership: {} as never,
  })
}

// JSON, as every client must send a request that changes something (see tests/runtime/stages).
const call = (
  app: ReturnType<typeof appWith>,
  method: string,
  path: string,
  headers: Record<string, string> = {}
) =>
  send(app, method, path, {
    ...(!['GET', 'HEAD', 'OPTIONS'].includes(method) && { 'content-type': 'application/json' }),
    ...headers,
  })

t.test('hands each handler its decoded params, the query and a context', async (t) => {
  let seen: unknown
  const app = appWith([
    route('get', '/items/:sku', (request, ctx) => {
      seen = {
        params: request.params,
        query: request.query,
        requestId: ctx.requestId,
        node: ctx.node.name,
      }
      return { ok: true }
    }),
  ])
  const response = await call(app, 'GET', '/items/caf%C3%A9?limit=5', { 'x-request-id': 'abc-123' })
  t.equal(response.status, 200)
  t.same(await response.json(), { ok: true })
  t.equal(response.headers.get('x-request-id'), 'abc-123')
  t.match(seen, {
    params: { sku: 'café' },
    query: { limit: '5' },
    requestId: 'abc-123',
    node: 'Test',
  })
})

t.test('a static route wins over a parameter when registered first', async (t) => {
  const app = appWith([
    route('get', '/items/search', () => 'static'),
    route('get', '/items/:sku', () => 'param'),
  ])
  t.equal(await (await call(app, 'GET', '/items/search')).json(), 'static')
  t.equal(await (await call(app, 'GET', '/items/X')).json(), 'param')
})

t.test('answers 404 for unknown paths and 405 with Allow for known paths', async (t) => {
  const app = appWith([route('get', '/stock', () => []), route('post', '/movements', () => ({}))])
  const missing = await call(app, 'GET', '/nowhere')
  t.same(
    [missing.status, await missing.json()],
    [404, { status: 404, error: 'No route for /nowhere', code: 'NOT_FOUND' }]
  )
  const wrong = await call(app, 'PUT', '/stock')
  t.equal(wrong.status, 405)
  t.equal(wrong.headers.get('allow'), 'GET, HEAD, OPTIONS')
  t.match(await wrong.json(), {
    code: 'METHOD_NOT_ALLOWED',
    error: 'PUT is not allowed on /stock; use GET, HEAD, OPTIONS',
  })
  const options = await call(app, 'OPTIONS', '/movements')
  t.same([options.status, options.headers.get('allow')], [204, 'POST, OPTIONS'])
  t.equal((await call(app, 'HEAD', '/stock')).status, 200, 'HEAD is served by the GET handler')
})

t.test(
  'turns HttpErrors into their status and body, and anything else into a 500 that leaks nothing',
  async (t) => {
    const app = appWith([
      route('get', '/refuse', () => {
        throw new HttpError(409, 'CONFLICT', 'Already there', [{ path: 'sku', message: 'exists' }])
      }),
      route('get', '/crash', () => {
        throw new Error('SQLITE_CORRUPT: select * from secrets')
      }),
      route('get', '/nothing', () => undefined),
    ])
    const refused = await call(app, 'GET', '/refuse')
    t.same(
      [refused.status, await refused.json()],
      [
        409,
        {
          status: 409,
          error: 'Already there',
          code: 'CONFLICT',
          details: [{ path: 'sku', message: 'exists' }],
        },
      ]
    )
    const crashed = await call(app, 'GET', '/crash', { 'x-request-id': 'req-9' })
    const body = await crashed.json()
    t.same([crashed.status, body.code], [500, 'INTERNAL'])
    t.match(body.error, /request req-9/)
    t.notMatch(JSON.stringify(body), /SQLITE|secrets/)
    t.equal((await call(app, 'GET', '/nothing')).status, 204)
  }
)

t.test('passes the Idempotency-Key to the worker and marks replayed answers', async (t) => {
  const keys: unknown[] = []
  const db = {
    async call(_op: string, _payload: unknown, opts: { key?: string }) {
      keys.push(opts.key)
      return { data: { seq: 1 }, replayed: opts.key === 'again' }
    },
  }
  const app = appWith(
    [route('post', '/movements', (_r, ctx) => ctx.db.send('movements.record', {} as never))],
    db as never
  )
  const first = await call(app, 'POST', '/movements', { 'idempotency-key': 'once' })
  t.equal(first.headers.get('idempotent-replayed'), null)
  const replay = await call(app, 'POST', '/movements', { 'idempotency-key': 'again' })
  t.equal(replay.headers.get('idempotent-replayed'), 'true')
  await call(app, 'POST', '/movements')
  t.same(keys, ['once', 'again', undefined])
  const bad = await call(app, 'POST', '/movements', { 'idempotency-key': 'x'.repeat(201) })
  t.match(
    [bad.status, await bad.json()],
    [400, { code: 'VALIDATION_FAILED', details: [{ path: 'Idempotency-Key' }] }]
  )
  t.equal(keys.length, 3, 'a bad key never reaches the worker')
})

t.test('loading refuses a handler file without a default function, naming it', async (t) => {
  const dir = t.testdir({ items: { 'index.get.ts': 'export const handler = () => 1\n' } })
  await t.rejects(loadRoutes(dir), {
    message:
      'handlers/items/index.get.ts: the default export must be a handler (export default defineHandler(...))',
  })
  const good = t.testdir({ 'health.get.ts': "export default () => 'up'\n" })
  const [loaded] = await loadRoutes(good)
  t.match(loaded, { method: 'get', path: '/health' })
  t.equal(loaded.handler({} as never, {} as never), 'up')
})
