import t from 'tap'
import handler from '../../../handlers/replicas/[nodeId].get.ts'
import { fakeCtx, request } from '../../fixtures/handler-kit.ts'

const replica = {
  nodeId: 'n1',
  name: 'Norte',
  state: 'live' as const,
  reason: null,
  lastError: null,
  cursor: { events: 3, ledger: { seq: 2, hash: 'a'.repeat(64) } },
  head: { events: 3, ledger: { seq: 2 } },
  caughtUpAt: '2026-12-30T10:00:00.000Z',
  createdAt: '2026-12-30T10:00:00.000Z',
  updatedAt: '2026-12-30T10:00:00.000Z',
}

const ctx = () =>
  fakeCtx({ 'replicas.list': () => ({ replicas: [replica] }) }, {}, {}, { peers: () => [] })
const get = (nodeId: string) =>
  handler(request('GET', `/replicas/${nodeId}`, { params: { nodeId } }), ctx())

t.test('one peer’s replica, or 404 naming the node', async (t) => {
  t.match(await get('n1'), { nodeId: 'n1', name: 'Norte', state: 'live', rowsBehind: 0 })
  await t.rejects(async () => get('n9'), { status: 404, code: 'NOT_FOUND', message: /n9/ })
  await t.rejects(async () => get('x'.repeat(65)), { status: 400, code: 'VALIDATION_FAILED' })
})
