import t from 'tap'
import handler from '../../../../handlers/replicas/[nodeId]/reseed.post.ts'
import { fakeCtx, refusal, request } from '../../../fixtures/handler-kit.ts'
import { storedReplica } from '../../../fixtures/stored-replica.ts'

const member = (id: string, state: string) => ({ id, name: id.toUpperCase(), state })

/** Replicas held here: n1 and n9 (not n7). */
const HELD = ['n1', 'n9', 'n5']

const reseed = (nodeId: string, reply: () => unknown, state = 'alive') => {
  const refollowed: string[] = []
  const members = [
    member('n1', state),
    member('n9', 'alive'),
    { id: 'n5', name: 'Las Palmas', state: 'alive' },
  ]
  const get = ({ nodeId: id }: { nodeId: string }) => {
    if (!HELD.includes(id)) throw refusal('NOT_FOUND', `This node holds no replica of node ${id}`)
    return storedReplica({ nodeId: id, state: 'broken', reason: 'forked' })
  }
  const ctx = fakeCtx(
    { 'replicas.get': get as never, 'replicas.reseed': reply as never },
    { opened: true, snapshot: () => ({ members, participating: true }) as never },
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
    [
      ['replicas.get', { nodeId: 'n1' }],
      ['replicas.reseed', { nodeId: 'n1' }],
    ]
  )
  t.same(refollowed, ['n1'], 'its puller starts again')
  const named = reseed('N1', () => ({ nodeId: 'n1', dropped: { events: 0, movements: 0, was } }))
  t.match(await named.answer, { nodeId: 'n1' }, "a warehouse's name stands for its id")
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
      t.notOk(
        away.ctx.sent.some((s) => s.op === 'replicas.reseed'),
        'nothing dropped'
      )
    }
  }
)

t.test('a replica this node does not hold: 404, nothing followed; a bad id: 400', async (t) => {
  const none = reseed('n9', () => {
    throw refusal('NOT_FOUND', 'This node holds no replica of node n9')
  })
  await t.rejects(none.answer, { status: 404, code: 'NOT_FOUND' })
  t.same(none.refollowed, [])
  const stranger = reseed('n7', () => ({}))
  await t.rejects(stranger.answer, {
    status: 404,
    message: 'This node holds no replica of node n7',
  })
  t.notOk(stranger.ctx.sent.some((s) => s.op === 'replicas.reseed'))
  t.match(
    await reseed('las palmas', () => ({
      nodeId: 'n5',
      dropped: { events: 0, movements: 0, was: storedReplica({ nodeId: 'n5' }) },
    })).answer,
    { nodeId: 'n5' },
    'a name with a space'
  )
  for (const id of ['x'.repeat(65), 'n1\u001b[31m', 'n1\n', 'n1\u202e']) {
    const bad = reseed(id, () => ({}))
    await t.rejects(bad.answer, { status: 400, code: 'VALIDATION_FAILED' }, JSON.stringify(id))
    t.same(bad.ctx.sent, [])
  }
})
