import t from 'tap'
import handler from '../../../handlers/federations/index.post.ts'
import type { Ctx } from '../../../runtime/index.ts'
import { fakeCtx, request, settle } from '../../fixtures/handler-kit.ts'

/** This node ('Test Warehouse') and one peer, as membership knows them. */
const membership = {
  snapshot: () => ({ members: [{ name: 'Test Warehouse' }, { name: 'Sevilla' }] }),
} as unknown as Ctx['membership']

const post = (body: unknown) => request('POST', '/federations', { body })

t.test('carries a pattern to the peers named, or to every member', async (t) => {
  for (const [peers, sent] of [
    [['Sevilla'], ['Sevilla']],
    [undefined, null],
  ] as const) {
    const ctx = fakeCtx(
      {
        'federations.list': () => ({ federations: [] }),
        'federations.set': (p) => ({ ...p, createdAt: 'now' }),
      },
      membership
    )
    const { status } = await settle(await handler(post({ pattern: 'stock.>', peers }), ctx))
    t.equal(status, 200)
    t.same(ctx.sent[1].payload, { pattern: 'stock.>', peers: sent })
  }
})

t.test('refuses a name no member has, this warehouse itself, or one twice, changing nothing', async (t) => {
  for (const [peers, message] of [
    [['Sevilla', 'Nowhere'], 'no member of this network is named Nowhere'],
    [['Test Warehouse'], 'Test Warehouse is this warehouse: name the others to carry to'],
    [['Sevilla', 'sevilla'], 'must name each warehouse once'],
  ] as const) {
    const ctx = fakeCtx({}, membership)
    await t.rejects(handler(post({ pattern: 'stock.>', peers }), ctx), {
      status: 400,
      code: 'VALIDATION_FAILED',
      details: [{ path: 'peers', message }],
    })
    t.same(ctx.sent, [], `${peers.join(', ')}: nothing is asked of the worker`)
  }
})

t.test('set again with other peers: replaced, and the answer names the peers it had', async (t) => {
  const rule = { pattern: 'stock.>', peers: ['Sevilla'], createdAt: 'then' }
  const ctx = fakeCtx(
    {
      'federations.list': () => ({ federations: [rule] }),
      'federations.set': (p) => ({ ...rule, ...p }),
    },
    membership
  )
  const moved = await settle(await handler(post({ pattern: 'stock.>' }), ctx))
  t.same(moved.body, { ...rule, peers: null, replaced: { peers: ['Sevilla'] } })
  const again = await settle(await handler(post({ pattern: 'stock.>', peers: ['Sevilla'] }), ctx))
  t.same(again.body, rule, 'the same peers: nothing replaced')
})
