import t from 'tap'
import type { NodeInfo } from '../../db/contract/index.ts'
import handler from '../../handlers/node.get.ts'
import { assertPassesOn, fakeCtx, request, settle } from '../fixtures/handler-kit.ts'

// The worker's own idea of id and name differs on purpose: identity is the runtime's.
const info: NodeInfo = {
  id: 'worker-side-id',
  name: 'worker-side-name',
  counts: { items: 3, movements: 14 },
  database: {
    file: '/var/lib/almacen/almacen.sqlite',
    sqliteVersion: '3.46.0',
    journalMode: 'wal',
    synchronous: 'full',
  },
}

t.test(
  'reports the node identity, its uptime in seconds and what its database holds',
  async (t) => {
    const ctx = fakeCtx({ 'node.info': () => info })
    ctx.node = { ...ctx.node, startedAt: new Date(Date.now() - 90_000).toISOString() }
    const { status, body } = await settle(await handler(request('GET', '/node'), ctx))
    t.equal(status, 200)
    t.strictSame(body, {
      id: '00000000-0000-4000-8000-000000000001',
      name: 'Test Warehouse',
      version: '0.0.0-test',
      startedAt: ctx.node.startedAt,
      uptimeSeconds: 90,
      counts: { items: 3, movements: 14 },
      database: info.database,
    })
    t.strictSame(ctx.sent, [{ op: 'node.info', payload: {}, options: undefined }])
  }
)

t.test('passes on a worker that is unavailable', (t) =>
  assertPassesOn(t, handler, request('GET', '/node'), 'node.info', {
    status: 503,
    code: 'DB_UNAVAILABLE',
    message: 'The database worker is restarting',
  })
)
