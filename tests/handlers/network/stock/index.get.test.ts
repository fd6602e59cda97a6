import t from 'tap'
import handler from '../../../../handlers/network/stock/index.get.ts'
import { fakeCtx, request } from '../../../fixtures/handler-kit.ts'

const HEAD = { seq: 3, hash: 'c'.repeat(64) }

function ctx() {
  const asked: unknown[] = []
  const c = fakeCtx(
    {
      'stock.figures': () => ({
        figures: [
          {
            sku: 'NUT',
            name: 'Nut',
            unit: 'ea',
            onHand: 1,
            reorderPoint: 2,
            inTransit: 0,
            sent: 0,
            received: 0,
          },
        ],
        ledger: HEAD,
        truncated: false,
      }),
    },
    {},
    {},
    { peers: () => [] },
    {
      async stock(ask, deadlineMs) {
        asked.push([ask, deadlineMs])
        return [
          {
            member: { id: 'n-sur', name: 'Sur' },
            reason: 'down',
            detail: 'connection refused',
          },
        ]
      },
    }
  )
  return Object.assign(c, { asked })
}

t.test('asks every warehouse for every item, or the low ones, under the deadline', async (t) => {
  const all = ctx()
  t.match(await handler(request('GET', '/network/stock'), all), {
    low: false,
    stock: [{ sku: 'NUT', total: { onHand: 1 }, figures: [{ low: true }] }],
    counts: { total: 2, live: 1, missing: 1 },
    complete: false,
    timedOut: false,
  })
  t.same(all.asked, [[{ all: true }, 1980]])
  t.same(all.sent[0].payload, { skus: undefined, low: undefined, limit: 5000 })

  const low = ctx()
  t.match(await handler(request('GET', '/network/stock?low=true&deadlineMs=700'), low), {
    low: true,
    deadlineMs: 700,
    stock: [{ sku: 'NUT' }],
  })
  // Every figure is asked for: a low SKU's totals are over every warehouse, not the low ones.
  t.same(low.asked, [[{ all: true }, 680]])
  t.same(low.sent[0].payload, { skus: undefined, low: undefined, limit: 5000 })
})

t.test('low=true: a SKU low at one warehouse, totalled over every warehouse', async (t) => {
  const figure = (sku: string, onHand: number, sent: number, received: number) => ({
    sku,
    name: sku,
    unit: 'ea',
    onHand,
    reorderPoint: 10,
    inTransit: sent - received,
    sent,
    received,
  })
  const c = fakeCtx(
    {
      // Here: BOLT low (5 ≤ 10), 40 of it received from Sur; ROPE plenty.
      'stock.figures': () => ({
        figures: [figure('BOLT', 5, 0, 40), figure('ROPE', 50, 0, 0)],
        ledger: HEAD,
        truncated: false,
      }),
    },
    {},
    {},
    { peers: () => [] },
    {
      async stock() {
        // Sur: BOLT plenty (100), the 40 it sent here among its figures.
        const node = { id: 'n-sur', name: 'Sur' }
        const answer = {
          node,
          at: new Date().toISOString(),
          figures: [figure('BOLT', 100, 40, 0), figure('ROPE', 30, 0, 0)],
          ledger: HEAD,
          truncated: false,
          halted: null,
        }
        return [{ member: node, answer }]
      },
    }
  )
  const answer = await handler(request('GET', '/network/stock?low=true'), c)
  t.same(
    answer.stock.map((s) => s.sku),
    ['BOLT'],
    'only the SKU low somewhere'
  )
  t.match(answer.stock[0], {
    figures: [
      { node: { name: c.node.name }, low: true },
      { node: { name: 'Sur' }, low: false },
    ],
    total: { onHand: 105, inTransit: 0, onHandPlusInTransit: 105 },
  })
})

t.test('refuses a bad low or deadline, naming it, and asks nobody', async (t) => {
  for (const [query, path] of [
    ['?low=yes', 'low'],
    ['?deadlineMs=20000', 'deadlineMs'],
  ]) {
    const c = ctx()
    await t.rejects(async () => handler(request('GET', `/network/stock${query}`), c), {
      status: 400,
      code: 'VALIDATION_FAILED',
      details: [{ path }],
    })
    t.same([c.asked, c.sent], [[], []])
  }
})

t.test(
  'a large answer cuts off the peers still asked sooner, to be composed within the deadline',
  async (t) => {
    const line = (i: number) => ({
      sku: `SKU-${String(i).padStart(5, '0')}`,
      name: `Item ${i}`,
      unit: 'ea',
      reorderPoint: null,
      onHand: i,
      sent: 0,
      received: 0,
      low: false,
      lastSeq: 1,
    })
    const lines = Array.from({ length: 5000 }, (_, i) => line(i))
    // 19 warehouses of 5,000 SKUs held here, and this one's own 5,000: 100,000 figures.
    const replica = (n: number) => ({
      nodeId: `n-${n}`,
      name: `W${n}`,
      state: 'live' as const,
      reason: null,
      ledger: HEAD,
      events: 3,
      asOf: new Date().toISOString(),
      stock: lines,
    })
    const own = lines.map(({ low: _low, lastSeq: _seq, ...f }) => ({ ...f, inTransit: 0 }))
    let cutAfterMs: number | null = null
    const started = performance.now()
    const c = fakeCtx(
      {
        'stock.figures': () => ({ figures: own, ledger: HEAD, truncated: false }),
        'replicas.stock': () => ({ replicas: Array.from({ length: 19 }, (_, n) => replica(n)) }),
        'replicas.list': () => ({ replicas: [] }),
      },
      {},
      {},
      { peers: () => [] },
      {
        // Every peer silent: answered timed out at the cut-off, or at the peers' deadline.
        async stock(_ask, deadlineMs, cutoff) {
          const late = new Promise((resolve) => setTimeout(resolve, deadlineMs))
          await Promise.race([late, cutoff?.then(() => (cutAfterMs = performance.now() - started))])
          return [{ member: { id: 'n-0', name: 'W0' }, reason: 'timed_out', detail: 'no answer' }]
        },
      }
    )
    const answer = await handler(request('GET', '/network/stock?deadlineMs=1000'), c)
    t.ok(cutAfterMs !== null, 'cut off before the peers’ deadline')
    // Half of the 1,000 ms kept to compose 100,000 figures (8 µs each, at most half): cut near
    // 500 ms, where 980 ms would have been waited for.
    t.ok(cutAfterMs !== null && cutAfterMs < 800, `cut off after ${cutAfterMs} ms`)
    t.match(answer, { counts: { live: 1 }, timedOut: true, deadlineMs: 1000 })
    t.equal(answer.stock.length, 5000)
  }
)
