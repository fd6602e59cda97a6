import t from 'tap'
import handler from '../../../../handlers/network/stock/[sku].get.ts'
import type { WarehouseOutcome } from '../../../../runtime/index.ts'
import { fakeCtx, request } from '../../../fixtures/handler-kit.ts'

const HEAD = { seq: 3, hash: 'c'.repeat(64) }
const NO_TRANSFERS = { inTransit: 0, sent: 0, received: 0 }
const BOLT = {
  sku: 'BOLT-M8',
  name: 'Bolt M8',
  unit: 'ea',
  onHand: 4,
  reorderPoint: 5,
  ...NO_TRANSFERS,
}

/** A context whose own warehouse has `own` and whose peers answer with `peers`. */
function ctxWith(own: (typeof BOLT)[], peers: WarehouseOutcome[]) {
  const asked: unknown[] = []
  const ctx = fakeCtx(
    { 'stock.figures': () => ({ figures: own, ledger: HEAD, truncated: false }) },
    {},
    {},
    { peers: () => [] },
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
    halted: null,
  },
})

t.test('asks this warehouse and the others under the default deadline of 2 s', async (t) => {
  const { ctx, asked } = ctxWith([BOLT], [sur(10)])
  const answer = await handler(get('bolt-m8'), ctx)
  t.same(asked, [[{ skus: ['BOLT-M8'] }, 1980]], 'all but 20 ms of it: the rest is to answer in')
  t.same(ctx.sent[0].options, { timeoutMs: 1980 }, 'its own database bounded by it too')
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
    [45, 9980],
    'a tenth of a short deadline kept to answer in, 20 ms of a long one'
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

t.test('leaves more of the deadline to answer in when its timers fire late', async (t) => {
  const { ctx, asked } = ctxWith([BOLT], [sur(10)])
  ctx.timersLateMs = () => 35
  await handler(get('BOLT-M8', '?deadlineMs=1000'), ctx)
  t.same(asked, [[{ skus: ['BOLT-M8'] }, 910]], 'asked for 1000 - (20 + 2 x 35) ms')
  t.same(
    ctx.sent.map((s) => s.options),
    [{ timeoutMs: 910 }, { timeoutMs: 910 }, { timeoutMs: 910 }, { timeoutMs: 910 }],
    'its own figures, whether it is halted, and its replicas under the same bound'
  )
  ctx.timersLateMs = () => 250
  await handler(get('BOLT-M8', '?deadlineMs=1000'), ctx)
  t.same(asked.at(-1), [{ skus: ['BOLT-M8'] }, 900], 'never more than a tenth kept back')
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

t.test(
  'answers a warehouse that is not live from this node’s replica of it, with its age and lag behind the furthest head heard of',
  async (t) => {
    const asOf = new Date(Date.now() - 60_000).toISOString()
    const replica = {
      nodeId: 'n-sur',
      name: 'Sur',
      state: 'live',
      reason: null,
      ledger: { seq: 40, hash: 'e'.repeat(64) },
      events: 44,
      asOf,
      stock: [{ ...BOLT, onHand: 6, sent: 0, received: 3, low: false, lastSeq: 40 }],
    }
    const ctx = fakeCtx(
      {
        'stock.figures': () => ({
          figures: [{ ...BOLT, inTransit: 5, sent: 5 }],
          ledger: HEAD,
          truncated: false,
        }),
        'replicas.stock': () => ({ replicas: [replica] }) as never,
        'replicas.list': () =>
          ({ replicas: [{ nodeId: 'n-sur', head: { ledger: { seq: 43 } } }] }) as never,
      },
      {},
      {},
      {
        peers: () => [
          { nodeId: 'n-sur', knownHead: { events: 50, ledger: { seq: 45, hash: 'f'.repeat(64) } } },
        ],
      } as never,
      {
        async stock() {
          return [{ member: { id: 'n-sur', name: 'Sur' }, reason: 'timed_out', detail: 'late' }]
        },
      }
    )
    const answer = await handler(get('BOLT-M8', '?deadlineMs=500'), ctx)
    t.same(
      ctx.sent.map((s) => [s.op, s.options]),
      [
        ['stock.figures', { timeoutMs: 480 }],
        ['ledger.status', { timeoutMs: 480 }],
        ['replicas.stock', { timeoutMs: 480 }],
        ['replicas.list', { timeoutMs: 480 }],
      ],
      'the replicas are read at once, beside the question, under the same deadline'
    )
    t.same(ctx.sent[2].payload, { skus: ['BOLT-M8'], low: false })
    t.match(answer, {
      total: { onHand: 10, liveOnHand: 4, inTransit: 2, onHandPlusInTransit: 12 },
      counts: { total: 2, live: 1, replica: 1, missing: 0 },
      complete: false,
      timedOut: true,
    })
    t.match(answer.figures[1], {
      node: { name: 'Sur' },
      source: 'replica',
      reason: 'timed_out',
      ledger: { seq: 40 },
      asOf,
      rowsBehind: 5,
      onHand: 6,
      inTransit: null,
      sent: 0,
      received: 3,
    })
    t.ok(
      answer.figures[1].ageMs! >= 60_000 && answer.figures[1].ageMs! < 70_000,
      'about a minute old'
    )
  }
)

t.test('a live warehouse is never shown from its replica', async (t) => {
  const replica = {
    nodeId: 'n-sur',
    state: 'live',
    ledger: HEAD,
    asOf: new Date().toISOString(),
    stock: [{ ...BOLT, onHand: 999 }],
  }
  const ctx = fakeCtx(
    {
      'stock.figures': () => ({ figures: [BOLT], ledger: HEAD, truncated: false }),
      'replicas.stock': () => ({ replicas: [replica] }) as never,
      'replicas.list': () => ({ replicas: [] }),
    },
    {},
    {},
    { peers: () => [] },
    { stock: async () => [sur(10)] }
  )
  t.match(await handler(get('BOLT-M8'), ctx), {
    total: { onHand: 14 },
    counts: { live: 2, replica: 0 },
  })
})

t.test(
  'answers a warehouse no longer a member (reaped) from this node’s replica of it, in the total',
  async (t) => {
    const asOf = new Date(Date.now() - 30 * 3600_000).toISOString()
    const oeste = {
      nodeId: 'n-oeste',
      name: 'Oeste',
      state: 'stale',
      reason: null,
      ledger: { seq: 12, hash: 'e'.repeat(64) },
      events: 15,
      asOf,
      stock: [{ ...BOLT, onHand: 7, sent: 0, received: 0, low: false, lastSeq: 12 }],
    }
    const ctx = fakeCtx(
      {
        'stock.figures': () => ({ figures: [BOLT], ledger: HEAD, truncated: false }),
        'replicas.stock': () => ({ replicas: [oeste] }) as never,
        'replicas.list': () => ({ replicas: [] }),
      },
      {},
      {},
      { peers: () => [] },
      // Oeste is not a member any more: the peers asked are Sur alone.
      { stock: async () => [sur(10)] }
    )
    const answer = await handler(get('BOLT-M8'), ctx)
    t.match(answer, {
      total: { onHand: 21, liveOnHand: 14, unit: 'ea' },
      counts: { total: 3, live: 2, replica: 1, missing: 0 },
      complete: true, // every member answered
      timedOut: false,
    })
    t.match(
      answer.warehouses.map((w) => [w.node.name, w.source, w.reason]),
      [
        [/./, 'live', null],
        ['Oeste', 'replica', 'reaped'],
        ['Sur', 'live', null],
      ]
    )
    t.match(answer.figures, [
      { source: 'live' },
      {
        node: { id: 'n-oeste', name: 'Oeste' },
        source: 'replica',
        reason: 'reaped',
        asOf,
        onHand: 7,
      },
      { node: { name: 'Sur' }, source: 'live' },
    ])
  }
)
