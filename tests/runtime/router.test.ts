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
    events: {} as never,
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
  t.equal(response.headers.get('cache-control'), 'no-store', 'kept by no cache')
  t.equal(response.headers.get('x-content-type-options'), 'nosniff')
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
        throw new HttpError('CONFLICT', 'Already there', {
          details: [{ path: 'sku', message: 'exists' }],
        })
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
  const dir = t.testdir({ items: { 'index.get.js': 'export const handler = () => 1\n' } })
  await t.rejects(loadRoutes(dir), {
    message:
      'handlers/items/index.get.js: the default export must be a handler (export default defineHandler(...))',
  })
  const good = t.testdir({
    'health.get.js': "export default Object.assign(() => 'up', { access: 'public' })\n",
    peer: { 'ping.post.js': "export default Object.assign(() => 'pong', { access: 'peer' })\n" },
  })
  const loaded = await loadRoutes(good)
  t.match(loaded, [
    { method: 'get', path: '/health', access: 'public' },
    { method: 'post', path: '/peer/ping', access: 'peer' },
  ])
  t.equal(loaded[0].handler({} as never, {} as never), 'up')
})

t.test(
  'loading refuses, naming the file, a route that does not declare who may call it',
  async (t) => {
    const undeclared = t.testdir({ stock: { 'index.get.js': "export default () => 'up'\n" } })
    await t.rejects(loadRoutes(undeclared), {
      message: /^handlers\/stock\/index\.get\.js must declare who may call it: .*access: 'viewer'/,
    })
    const unknown = t.testdir({
      'health.get.js': "export default Object.assign(() => 'up', { access: 'everyone' })\n",
    })
    await t.rejects(loadRoutes(unknown), { message: /^handlers\/health\.get\.js must declare/ })
  }
)

t.test('loading keeps node-to-node routes under /peer/, and only them', async (t) => {
  const peerOutside = t.testdir({
    members: { 'sync.post.js': "export default Object.assign(() => 1, { access: 'peer' })\n" },
  })
  await t.rejects(loadRoutes(peerOutside), {
    message:
      "handlers/members/sync.post.js declares access 'peer': node-to-node routes belong under handlers/peer/",
  })
  const publicInside = t.testdir({
    peer: { 'gossip.post.js': "export default Object.assign(() => 1, { access: 'public' })\n" },
  })
  await t.rejects(loadRoutes(publicInside), {
    message:
      "handlers/peer/gossip.post.js is under /peer/, where every route is node-to-node: declare access 'peer'",
  })
})

/** A membership whose signature check admits `sender` (or refuses), and signs every answer. */
function peersAdmitting(sender: string | Error) {
  const checked: string[] = []
  const membership = {
    auth: {
      exchange: (_request: Request, path: string) => ({
        admit(body: string) {
          checked.push(`${path} ${body}`)
          if (sender instanceof Error) throw sender
          return sender
        },
        async answer(response: Response) {
          response.headers.set('x-signed-by', 'this-node')
          return response
        },
      }),
    },
  }
  return { membership, checked }
}

t.test(
  'a peer route checks the signature first, hands ctx.peer on and signs its answer',
  async (t) => {
    const { membership, checked } = peersAdmitting('node-b')
    const froms: string[] = []
    const app = createApp(
      [
        route('post', '/peer/ping', (_request, ctx) => ({ from: ctx.peer })),
        route('get', '/stock', (_request, ctx) => ({ peer: ctx.peer ?? null })),
      ],
      {
        db: {} as DbClient,
        log: pino({ level: 'silent' }),
        node,
        membership: {} as never,
        events: {} as never,
        peerAuth: membership.auth as never,
      }
    )
    const request = new Request('http://127.0.0.1:9300/peer/ping', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"hello":1}',
    })
    const answer = await app(request, { from: (peer) => froms.push(peer) })
    t.same([answer.status, await answer.json()], [200, { from: 'node-b' }])
    t.equal(answer.headers.get('x-signed-by'), 'this-node')
    t.same(checked, ['/peer/ping {"hello":1}'], 'the signature is checked over the body')
    t.same(froms, ['node-b'], 'the connection is known to be a peer’s')
    const client = await call(app, 'GET', '/stock')
    t.same(await client.json(), { peer: null }, 'a public route asks for no signature')
    t.same(checked.length, 1)
    const unknown = await call(app, 'POST', '/peer/nothing-here')
    t.same(
      [unknown.status, unknown.headers.get('x-signed-by')],
      [404, 'this-node'],
      'a peer asking for a route this node lacks is answered, signed, after the same check'
    )
  }
)

t.test('a peer route refuses a request whose signature does not check out', async (t) => {
  const refusal = new HttpError('UNAUTHENTICATED', 'The signature does not match')
  const { membership } = peersAdmitting(refusal)
  let reached = false
  const app = createApp([route('post', '/peer/ping', () => (reached = true))], {
    db: {} as DbClient,
    log: pino({ level: 'silent' }),
    node,
    membership: {} as never,
    events: {} as never,
    peerAuth: membership.auth as never,
  })
  const refused = await call(app, 'POST', '/peer/ping')
  t.match([refused.status, await refused.json()], [401, { code: 'UNAUTHENTICATED' }])
  t.equal(reached, false)
})

t.test(
  'a request makes one write: its key goes to that write only, a second is refused',
  async (t) => {
    const calls: [string, string | undefined][] = []
    const db = {
      async call(op: string, _payload: unknown, opts: { key?: string }) {
        calls.push([op, opts.key])
        return { data: { seq: 1 }, replayed: false }
      },
    }
    const lines: { msg: string; err?: { message: string } }[] = []
    const app = createApp(
      [
        route('post', '/movements', async (_r, ctx) => {
          await ctx.db.send('stock.get', { sku: 'A' })
          return ctx.db.send('movements.record', {} as never)
        }),
        route('post', '/twice', async (_r, ctx) => {
          await ctx.db.send('movements.record', {} as never)
          return ctx.db.send('items.update', {} as never)
        }),
      ],
      {
        db: db as never,
        log: pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) }),
        node,
        membership: {} as never,
        events: {} as never,
      }
    )
    const one = await call(app, 'POST', '/movements', { 'idempotency-key': 'k-1' })
    t.equal(one.status, 200)
    t.same(calls, [
      ['stock.get', undefined],
      ['movements.record', 'k-1'],
    ])
    calls.length = 0
    const two = await call(app, 'POST', '/twice', { 'idempotency-key': 'k-2' })
    t.match([two.status, await two.json()], [500, { code: 'INTERNAL' }])
    t.same(calls, [['movements.record', 'k-2']], 'the second write never reaches the worker')
    t.match(
      lines.find((l) => l.msg === 'unexpected error')?.err?.message,
      /sent movements.record and then items.update: make them one worker operation/
    )
  }
)

t.test(
  'the same write again (a take that found nothing): allowed with no key, refused with one',
  async (t) => {
    const calls: [string, string | undefined][] = []
    const db = {
      async call(op: string, _payload: unknown, opts: { key?: string }) {
        calls.push([op, opts.key])
        return { data: { messages: [] }, replayed: false }
      },
    }
    const app = createApp(
      [
        route('post', '/take', async (_r, ctx) => {
          const payload = { queue: 'q', max: 1 } as never
          await ctx.db.send('queues.receive', payload)
          return ctx.db.send('queues.receive', payload, { again: true })
        }),
        route('post', '/other', async (_r, ctx) => {
          await ctx.db.send('queues.receive', { queue: 'q', max: 1 } as never)
          return ctx.db.send('movements.record', {} as never, { again: true })
        }),
      ],
      {
        db: db as never,
        log: pino({ level: 'silent' }),
        node,
        membership: {} as never,
        events: {} as never,
      }
    )
    t.equal((await call(app, 'POST', '/take')).status, 200, 'no key: taken twice')
    t.same(calls, [
      ['queues.receive', undefined],
      ['queues.receive', undefined],
    ])
    calls.length = 0
    const keyed = await call(app, 'POST', '/take', { 'idempotency-key': 'k-3' })
    t.equal(keyed.status, 500, 'with a key, which covers one write: refused')
    t.same(calls, [['queues.receive', 'k-3']], 'the second never reaches the worker')
    calls.length = 0
    t.equal((await call(app, 'POST', '/other')).status, 500, 'again names the same write only')
    t.same(calls, [['queues.receive', undefined]])
  }
)
