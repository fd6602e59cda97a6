import t from 'tap'
import handler from '../../../handlers/peer/stock.post.ts'
import { fakeCtx, request } from '../../fixtures/handler-kit.ts'

const HEAD = { seq: 7, hash: 'a'.repeat(64) }
const BOLT = {
  sku: 'BOLT-M8',
  name: 'Bolt M8',
  unit: 'ea',
  onHand: 12,
  reorderPoint: 5,
  inTransit: 2,
  sent: 2,
  received: 0,
}

function signedCtx() {
  const ctx = fakeCtx({
    'stock.figures': () => ({ figures: [BOLT], ledger: HEAD, truncated: false }),
  })
  return Object.assign(ctx, { peer: 'node-b' })
}

const ask = (body: unknown) => request('POST', '/peer/stock', { body })

t.test('answers with this node, its figures and the ledger head they project', async (t) => {
  const ctx = signedCtx()
  const answer = await handler(ask({ skus: ['bolt-m8'], low: true, deadlineMs: 800 }), ctx)
  t.match(answer, {
    node: { id: ctx.node.id, name: 'Test Warehouse' },
    ledger: HEAD,
    figures: [BOLT],
    truncated: false,
    halted: null,
  })
  t.ok(Date.parse(answer.at) <= Date.now(), 'with the time it was read')
  t.same(
    ctx.sent,
    [
      {
        op: 'stock.figures',
        payload: { skus: ['BOLT-M8'], low: true, limit: 5000 },
        options: { timeoutMs: 800 },
      },
      { op: 'ledger.status', payload: {}, options: { timeoutMs: 800 } },
    ],
    'SKUs upper-cased, and the database not waited on past the caller’s deadline'
  )
})

t.test('says why its writes are halted, beside its figures', async (t) => {
  const ctx = signedCtx()
  const halt = {
    since: '2026-12-01T10:00:00.000Z',
    problems: ['row 410 does not hash to its hash', "Sevilla's copy parts at row 410"],
    action: 'restore it',
    witnessed: true,
  }
  Object.assign(
    ctx,
    fakeCtx({
      'stock.figures': () => ({ figures: [BOLT], ledger: HEAD, truncated: false }),
      'ledger.status': () => ({ writes: 'refused', halt, verify: null }),
    }),
    { peer: 'node-b' }
  )
  t.match(await handler(ask({ all: true }), ctx), {
    figures: [BOLT],
    halted: "row 410 does not hash to its hash; Sevilla's copy parts at row 410",
  })
})

t.test('asks for every item with all: true', async (t) => {
  const ctx = signedCtx()
  await handler(ask({ all: true }), ctx)
  t.same(ctx.sent[0].payload, { skus: undefined, low: undefined, limit: 5000 })
})

t.test(
  'refuses an unsigned request and a malformed ask, asking the database nothing',
  async (t) => {
    const unsigned = fakeCtx()
    await t.rejects(async () => handler(ask({ all: true }), unsigned), {
      status: 401,
      code: 'UNAUTHENTICATED',
    })
    for (const body of [
      {},
      { skus: ['A'], all: true },
      { skus: [] },
      { skus: ['not a sku!'] },
      { all: false },
      { all: true, deadlineMs: 0 },
      { all: true, deadlineMs: 60_000 },
    ]) {
      const ctx = signedCtx()
      await t.rejects(
        async () => handler(ask(body), ctx),
        { status: 400, code: 'VALIDATION_FAILED' },
        JSON.stringify(body)
      )
      t.same(ctx.sent, [])
    }
  }
)
