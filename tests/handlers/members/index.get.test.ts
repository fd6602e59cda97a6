import t from 'tap'
import handler from '../../../handlers/members/index.get.ts'
import { fakeCtx, request, settle } from '../../fixtures/handler-kit.ts'

const row = {
  name: 'Node',
  address: 'http://10.0.0.2:8080',
  state: 'alive' as const,
  incarnation: 1,
  stateChangedAt: '2026-11-22T10:00:00.000Z',
  evidenceAt: null,
}

t.test(
  'lists the committed peer list with what this node has heard from each member',
  async (t) => {
    const base = fakeCtx()
    const members = [
      { ...row, id: base.node.id },
      { ...row, id: 'peer', state: 'failed' as const },
    ]
    const ctx = fakeCtx(
      {},
      {
        opened: true,
        canTalk: true,
        snapshot: () => ({ members, participating: true }),
        live: (id: string) =>
          id === 'peer'
            ? {
                lastHeardAt: '2026-11-22T10:00:01.000Z',
                rttMs: 1.5,
                problem: "clock skew: Node's clock is 45 s ahead of this node's",
              }
            : { lastHeardAt: null, rttMs: null, problem: null },
      }
    )
    const { status, body } = await settle(await handler(request('GET', '/members'), ctx))
    t.equal(status, 200)
    t.same(body, {
      self: ctx.node.id,
      participating: true,
      clusterKey: true,
      members: [
        { ...row, id: ctx.node.id, self: true, lastHeardAt: null, rttMs: null, problem: null },
        {
          ...row,
          id: 'peer',
          state: 'failed',
          self: false,
          lastHeardAt: '2026-11-22T10:00:01.000Z',
          rttMs: 1.5,
          problem: "clock skew: Node's clock is 45 s ahead of this node's",
        },
      ],
    })
    t.same(ctx.sent, [], 'the database is not asked: the membership holds what is committed')
  }
)

t.test('answers 503 while the node is still starting', async (t) => {
  const ctx = fakeCtx({}, { opened: false })
  await t.rejects(async () => handler(request('GET', '/members'), ctx), {
    status: 503,
    code: 'NOT_READY',
  })
})
