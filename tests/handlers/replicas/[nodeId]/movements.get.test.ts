import t from 'tap'
import handler from '../../../../handlers/replicas/[nodeId]/movements.get.ts'
import { assertRefused, fakeCtx, request } from '../../../fixtures/handler-kit.ts'

const page = { movements: [], nextCursor: null }

t.test('a peer’s ledger with the filters and paging of GET /movements', async (t) => {
  const ctx = fakeCtx({ 'replicas.movements': () => page })
  const req = request('GET', '/replicas/n1/movements?sku=bolt-m8&type=issue&order=asc&limit=5', {
    params: { nodeId: 'n1' },
  })
  t.same(await handler(req, ctx), page)
  t.same(ctx.sent[0].payload, {
    nodeId: 'n1',
    sku: 'BOLT-M8',
    type: 'issue',
    order: 'asc',
    limit: 5,
  })
})

t.test('refuses a bad filter as GET /movements does, asking nothing', async (t) => {
  const req = request('GET', '/replicas/n1/movements?type=gift', { params: { nodeId: 'n1' } })
  await assertRefused(t, handler, req, { status: 400, code: 'VALIDATION_FAILED' })
})
