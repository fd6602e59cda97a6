import t from 'tap'
import handler from '../../../../handlers/replicas/[nodeId]/reseed.post.ts'
import { fakeCtx, refusal, request } from '../../../fixtures/handler-kit.ts'
import { storedReplica } from '../../../fixtures/stored-replica.ts'

const member = (id: string, state: string) => ({ id, name: id.toUpperCase(), state })

const reseed = (nodeId: string, reply: () => unknown, state = 'alive') => {
  const refollowed: string[] = []
  const members = [member('n1', state), member('n9', 'alive')]
  const ctx = fakeCtx(
    { 'replicas.reseed': reply as never },
    { snapshot: () => ({ members, participating: true }) as never },
    {},
    { refollow: (id: string) => void refollowed.push(id) }
  )
  const req = request('POST', `/replicas/${nodeId}/reseed`, { params: { nodeId } })
  return { ctx, refollowed, answer: handler(req, ctx) }
}

t.test('drops the replica, follows its owner afresh, and says what was dropped', async (t) => {
  const was = storedReplica({ state: 'broken', reason: 'forked', lastError: 'parted at row 3' })
  const { ctx, refollowed, answer } = reseed('n1', () => ({
    nodeId: 'n1',
    dropped: { events: 3, movements: 2, was },
  }))
  t.strictSame(await answer, {
    nodeId: 'n1',
    dropped: { events: 3, movements: 2 },
    was: { state: 'broken', reason: 'forked', cursor: was.cursor },
  })
  t.same(
    ctx.sent.map((s) => [s.op, s.payload]),
    [['replicas.reseed', { nodeId: 'n1' }]]
  )
  t.same(refollowed, ['n1'], 'its puller starts again')
})

t.test(
  'refused while its owner is not alive: the replica is then the only copy of its ledger',
  async (t) => {
    for (const state of ['failed', 'left', 'suspect']) {
      const away = reseed('n1', () => ({}), state)
      await t.rejects(away.answer, {
        status: 409,
        code: 'CONFLICT',
        message: `N1 is ${state}: this replica is this node's only copy of its ledger; reseed it once N1 is alive`,
      })
      t.same(away.ctx.sent, [], 'nothing dropped')
    }
    const stranger = reseed('n7', () => ({}))
    await t.rejects(stranger.answer, { status: 409, message: /n7 is not a member/ })
  }
)

t.test('a replica this node does not hold: 404, nothing followed; a bad id: 400', async (t) => {
  const none = reseed('n9', () => {
    throw refusal('NOT_FOUND', 'This node holds no replica of node n9')
  })
  await t.rejects(none.answer, { status: 404, code: 'NOT_FOUND' })
  t.same(none.refollowed, [])
  const bad = reseed('x'.repeat(65), () => ({}))
  await t.rejects(bad.answer, { status: 400, code: 'VALIDATION_FAILED' })
  t.same(bad.ctx.sent, [])
})
