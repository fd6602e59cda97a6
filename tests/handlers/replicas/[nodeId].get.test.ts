import t from 'tap'
import handler from '../../../handlers/replicas/[nodeId].get.ts'
import { fakeCtx, request } from '../../fixtures/handler-kit.ts'
import { followedPeer, storedReplica } from '../../fixtures/stored-replica.ts'

const replica = storedReplica()

// Followed now: a replica not followed since the node started is stale.
const ctx = () =>
  fakeCtx(
    { 'replicas.list': () => ({ replicas: [replica] }) },
    {},
    {},
    { peers: () => [followedPeer()] }
  )
const get = (nodeId: string) =>
  handler(request('GET', `/replicas/${nodeId}`, { params: { nodeId } }), ctx())

t.test('one peer’s replica, or 404 naming the node', async (t) => {
  t.match(await get('n1'), { nodeId: 'n1', name: 'Norte', state: 'live', rowsBehind: 0 })
  await t.rejects(async () => get('n9'), { status: 404, code: 'NOT_FOUND', message: /n9/ })
  await t.rejects(async () => get('x'.repeat(65)), { status: 400, code: 'VALIDATION_FAILED' })
})
