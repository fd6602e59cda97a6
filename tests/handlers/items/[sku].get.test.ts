import t from 'tap'
import handler from '../../../handlers/items/[sku].get.ts'
import { fakeCtx, refusal, request, settle } from '../../fixtures/handler-kit.ts'

const bolt = {
  sku: 'BOLT-M8',
  name: 'Bolt M8',
  unit: 'ea',
  description: '',
  reorderPoint: 5,
  createdAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:00.000Z',
}

t.test('asks the worker for the item, upper-casing the SKU from the path', async (t) => {
  const ctx = fakeCtx({ 'items.get': () => bolt })
  const { status, body } = await settle(await handler(request('GET', '/items/bolt-m8', { params: { sku: 'bolt-m8' } }), ctx))
  t.equal(status, 200)
  t.same(body, bolt)
  t.same(ctx.sent, [{ op: 'items.get', payload: { sku: 'BOLT-M8' }, options: undefined }])
})

t.test('refuses a malformed SKU without asking the worker', async (t) => {
  const ctx = fakeCtx()
  await t.rejects(handler(request('GET', '/items/a b', { params: { sku: 'a b' } }), ctx), {
    status: 400,
    code: 'VALIDATION_FAILED',
  })
  t.same(ctx.sent, [])
})

t.test('passes on the worker refusal for an unknown SKU', async (t) => {
  const ctx = fakeCtx({
    'items.get': () => {
      throw refusal('NOT_FOUND', 'No item with SKU NOPE')
    },
  })
  await t.rejects(handler(request('GET', '/items/NOPE', { params: { sku: 'NOPE' } }), ctx), {
    status: 404,
    code: 'NOT_FOUND',
  })
})
