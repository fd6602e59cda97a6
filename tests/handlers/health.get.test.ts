import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import handler from '../../handlers/health.get.ts'
import { fakeCtx, refusal, request, settle } from '../fixtures/handler-kit.ts'

t.test('answers ok after pinging the worker, waiting at most a second', async (t) => {
  const ctx = fakeCtx({ 'node.ping': () => ({ pong: true }) })
  const { status, body } = await settle(await handler(request('GET', '/health'), ctx))
  t.equal(status, 200)
  t.match(body, { status: 'ok', worker: { ok: true, ms: Number } })
  t.strictSame(ctx.sent, [{ op: 'node.ping', payload: {}, options: { timeoutMs: 1000 } }])
})

t.test('reports how long the worker took to answer', async (t) => {
  const ctx = fakeCtx({
    'node.ping': async () => {
      await sleep(40)
      return { pong: true }
    },
  })
  const { body } = await settle(await handler(request('GET', '/health'), ctx))
  const { ms } = (body as { worker: { ms: number } }).worker
  t.ok(ms >= 35 && ms < 1000, `ms is ${ms}`)
})

t.test('answers 503 with Retry-After and the reason when the worker does not answer', async (t) => {
  const ctx = fakeCtx({
    'node.ping': () => {
      throw refusal('DB_TIMEOUT', 'The database did not answer within 1000 ms')
    },
  })
  const { status, body, headers } = await settle(await handler(request('GET', '/health'), ctx))
  t.equal(status, 503)
  t.equal(headers.get('retry-after'), '1')
  t.strictSame(body, {
    status: 'unavailable',
    worker: { ok: false, error: 'The database did not answer within 1000 ms' },
  })
})
