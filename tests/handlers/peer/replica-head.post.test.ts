import t from 'tap'
import handler from '../../../handlers/peer/replica-head.post.ts'
import type { Replica } from '../../../db/contract/index.ts'
import { fakeCtx, request } from '../../fixtures/handler-kit.ts'
import { storedReplica } from '../../fixtures/stored-replica.ts'

const replica = (nodeId: string, name: string, state: Replica['state'] = 'live') =>
  storedReplica({
    nodeId,
    name,
    state,
    reason: state === 'broken' ? 'forked' : null,
    cursor: { events: 9, ledger: { seq: 7, hash: 'a'.repeat(64) } },
    head: { events: 9, ledger: { seq: 7 } },
    caughtUpAt: '2026-11-30T10:00:00.000Z',
  })

const replicas = [replica('n-1', 'Norte'), replica('s-1', 'Sur', 'broken')]
/** Norte is alive to this node's membership; Sur is no member it knows. */
const membership = {
  opened: true,
  snapshot: () =>
    ({
      members: [{ id: 'n-1', name: 'Norte', state: 'alive', address: 'http://10.0.0.7:8080' }],
    }) as never,
}
const ask = (body: unknown, peer = 'node-b') => {
  const ctx = {
    ...fakeCtx({ 'replicas.list': () => ({ replicas }) }, membership),
    peer: peer || undefined,
  }
  return handler(request('POST', '/peer/replica-head', { body }), ctx)
}

t.test(
  "tells the replicas held of a node named by id or by name, with this node's name and how its membership sees each",
  async (t) => {
    t.same(await ask({ name: 'Norte' }), {
      name: 'Test Warehouse',
      replicas: [
        {
          nodeId: 'n-1',
          name: 'Norte',
          state: 'live',
          reason: null,
          position: { events: 9, ledger: { seq: 7, hash: 'a'.repeat(64) } },
          caughtUpAt: '2026-11-30T10:00:00.000Z',
          member: 'alive',
          memberAddress: 'http://10.0.0.7:8080',
        },
      ],
    })
    t.match(await ask({ node: 's-1' }), {
      replicas: [
        { nodeId: 's-1', state: 'broken', reason: 'forked', member: null, memberAddress: null },
      ],
    })
    t.same((await ask({ name: 'Este' })).replicas, [], 'none: an empty list')
  }
)

t.test('refuses a question that names no node, and an unsigned one', async (t) => {
  await t.rejects(ask({}), { status: 400, message: /name the node \(node\) or its name/ })
  await t.rejects(ask({ name: 'Norte' }, ''), { status: 401, code: 'UNAUTHENTICATED' })
})
