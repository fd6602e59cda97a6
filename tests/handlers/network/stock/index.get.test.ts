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
  })
  t.same(low.asked, [[{ all: true, low: true }, 680]])
  t.same(low.sent[0].payload, { skus: undefined, low: true, limit: 5000 })
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
