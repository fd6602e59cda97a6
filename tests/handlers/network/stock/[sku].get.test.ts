import t from 'tap'
import handler from '../../../../handlers/network/stock/[sku].get.ts'
import type { WarehouseOutcome } from '../../../../runtime/index.ts'
import { fakeCtx, request } from '../../../fixtures/handler-kit.ts'

const HEAD = { seq: 3, hash: 'c'.repeat(64) }
const BOLT = { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea', onHand: 4, reorderPoint: 5 }

/** A context whose own warehouse has `own` and whose peers answer with `peers`. */
function ctxWith(own: (typeof BOLT)[], peers: WarehouseOutcome[]) {
  const asked: unknown[] = []
  const ctx = fakeCtx(
    { 'stock.figures': () => ({ figures: own, ledger: HEAD, truncated: false }) },
    {},
    {},
    {
      async stock(ask, deadlineMs) {
        asked.push([ask, deadlineMs])
        return peers
      },
    }
  )
  return { ctx, asked }
}

const get = (sku: string, query = '') =>
  request('GET', `/network/stock/${sku}${query}`, { params: { sku } })

const sur = (onHand: number, unit = 'ea'): WarehouseOutcome => ({
  member: { id: 'n-sur', name: 'Sur' },
  answer: {
    node: { id: 'n-sur', name: 'Sur' },
    at: new Date().toISOString(),
    ledger: HEAD,
    figures: [{ ...BOLT, onHand, unit }],
    truncated: false,
  },
})

t.test('asks this warehouse and the others under the default deadline of 2 s', async (t) => {
  const { ctx, asked } = ctxWith([BOLT], [sur(10)])
  const answer = await handler(get('bolt-m8'), ctx)
  t.same(asked, [[{ skus: ['BOLT-M8'] }, 2000]])
  t.same(ctx.sent[0].options, { timeoutMs: 2000 }, 'its own database bounded by it too')
  t.match(answer, {
    sku: 'BOLT-M8',
    name: 'Bolt M8',
    total: { onHand: 14, liveOnHand: 14, unit: 'ea' },
    counts: { total: 2, live: 2 },
    complete: true,
    timedOut: false,
    deadlineMs: 2000,
  })
})

t.test('takes a deadline between 50 ms and 10 s, and names a bad one', async (t) => {
  const { ctx, asked } = ctxWith([BOLT], [])
  await handler(get('BOLT-M8', '?deadlineMs=50'), ctx)
  await handler(get('BOLT-M8', '?deadlineMs=10000'), ctx)
  t.same(
    asked.map((a) => (a as unknown[])[1]),
    [50, 10000]
  )
  for (const bad of ['49', '10001', 'soon', '1.5']) {
    const { ctx: fresh, asked: none } = ctxWith([BOLT], [])
    await t.rejects(
      async () => handler(get('BOLT-M8', `?deadlineMs=${bad}`), fresh),
      { status: 400, code: 'VALIDATION_FAILED', details: [{ path: 'deadlineMs' }] },
      bad
    )
    t.same([none, fresh.sent], [[], []], 'nobody is asked')
  }
  await t.rejects(async () => handler(get('BOLT-M8', '?deadline=5'), ctxWith([], []).ctx), {
    status: 400,
    code: 'VALIDATION_FAILED',
    details: [{ path: 'deadline', message: 'is not a known field' }],
  })
  await t.rejects(async () => handler(get('no such sku!'), ctxWith([], []).ctx), {
    status: 400,
    code: 'VALIDATION_FAILED',
  })
})

t.test('says so when warehouses count the SKU in different units', async (t) => {
  const { ctx } = ctxWith([BOLT], [sur(2, 'box')])
  t.match(await handler(get('BOLT-M8'), ctx), {
    unitsDiffer: true,
    total: { onHand: null, unit: null },
    byUnit: [
      { unit: 'box', onHand: 2 },
      { unit: 'ea', onHand: 4 },
    ],
  })
})

t.test('is 404 only when every warehouse answered and none has the SKU', async (t) => {
  const nothing = sur(1)
  if ('answer' in nothing) nothing.answer.figures = []
  await t.rejects(async () => handler(get('GHOST'), ctxWith([], [nothing]).ctx), {
    status: 404,
    code: 'NOT_FOUND',
    message: /GHOST/,
  })
  const silent: WarehouseOutcome = {
    member: { id: 'n-sur', name: 'Sur' },
    reason: 'timed_out',
    detail: 'no answer within the deadline',
  }
  t.match(await handler(get('GHOST'), ctxWith([], [silent]).ctx), {
    sku: 'GHOST',
    name: null,
    figures: [],
    complete: false,
    timedOut: true,
    counts: { total: 2, live: 1, missing: 1 },
  })
})
