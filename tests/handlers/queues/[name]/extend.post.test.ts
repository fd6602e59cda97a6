import t from 'tap'
import handler from '../../../../handlers/queues/[name]/extend.post.ts'
import { fakeCtx, request, settle } from '../../../fixtures/handler-kit.ts'

t.test(
  'an extension tells the waiting receives to look again: a shorter one shows its messages sooner',
  async (t) => {
    const results = [{ receipt: '1.abc', ok: true }]
    const ctx = fakeCtx({ 'queues.extend': () => ({ results }) })
    const before = ctx.queues.version('orders')
    const answer = await handler(
      request('POST', '/queues/orders/extend', {
        params: { name: 'orders' },
        body: { receipts: ['1.abc'], visibilityMs: 1 },
      }),
      ctx
    ).then(settle)
    t.match(answer, { status: 200, body: { results } })
    t.same(
      ctx.sent.map(({ op, payload }) => ({ op, payload })),
      [{ op: 'queues.extend', payload: { queue: 'orders', receipts: ['1.abc'], visibilityMs: 1 } }]
    )
    t.ok(ctx.queues.version('orders') > before, 'a receive that peeked before it wakes')
  }
)
