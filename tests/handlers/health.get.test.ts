import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { LedgerStatus } from '../../db/contract/index.ts'
import handler from '../../handlers/health.get.ts'
import { fakeCtx, refusal, request, settle } from '../fixtures/handler-kit.ts'

const clean: LedgerStatus = { writes: 'accepted', halt: null, verify: null }

t.test(
  'answers ok after asking the worker for the ledger state, waiting at most a second',
  async (t) => {
    const ctx = fakeCtx({ 'ledger.status': () => clean })
    const { status, body } = await settle(await handler(request('GET', '/health'), ctx))
    t.equal(status, 200)
    t.match(body, { status: 'ok', worker: { ok: true, ms: Number }, ledger: clean })
    t.strictSame(ctx.sent, [{ op: 'ledger.status', payload: {}, options: { timeoutMs: 1000 } }])
  }
)

t.test(
  'reports a halted ledger: still 200 (reads are served), status degraded, and why',
  async (t) => {
    const halt = {
      since: '2026-11-23T10:00:00.000Z',
      problems: ['movement 57 was removed from the end'],
      action: 'An admin can run POST /ledger/verify …',
    }
    const verify = { job: 'j', checked: 4000, of: 90_000, startedAt: '2026-11-23T10:00:01.000Z' }
    const ctx = fakeCtx({ 'ledger.status': () => ({ writes: 'refused', halt, verify }) })
    const { status, body } = await settle(await handler(request('GET', '/health'), ctx))
    t.equal(status, 200)
    t.match(body, { status: 'degraded', ledger: { writes: 'refused', halt, verify } })
  }
)

t.test(
  'reports a full disk: still 200 (reads are served), status degraded, and since when',
  async (t) => {
    const diskFull = { since: '2026-11-23T10:00:00.000Z', message: 'The disk … is full' }
    const ctx = fakeCtx({
      'ledger.status': () => ({ writes: 'accepted', halt: null, verify: null, diskFull }),
    })
    const { status, body } = await settle(await handler(request('GET', '/health'), ctx))
    t.equal(status, 200)
    t.match(body, { status: 'degraded', ledger: { writes: 'accepted', diskFull } })
  }
)

t.test('reports how long the worker took to answer', async (t) => {
  const ctx = fakeCtx({
    'ledger.status': async () => {
      await sleep(40)
      return clean
    },
  })
  const { body } = await settle(await handler(request('GET', '/health'), ctx))
  const { ms } = (body as { worker: { ms: number } }).worker
  t.ok(ms >= 35 && ms < 1000, `ms is ${ms}`)
})

t.test('answers 503 with Retry-After and the reason when the worker does not answer', async (t) => {
  const ctx = fakeCtx({
    'ledger.status': () => {
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
