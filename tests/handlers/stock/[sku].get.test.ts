import t from 'tap'
import type { Stock } from '../../../db/contract/index.ts'
import handler from '../../../handlers/stock/[sku].get.ts'
import {
  assertPassesOn,
  assertRefused,
  fakeCtx,
  request,
  settle,
} from '../../fixtures/handler-kit.ts'

const bolt: Stock = {
  sku: 'BOLT-M8',
  name: 'Bolt M8',
  unit: 'ea',
  onHand: 40,
  inTransit: 6,
  sent: 6,
  received: 0,
  reorderPoint: 5,
  low: false,
  lastSeq: 12,
  updatedAt: '2026-11-22T10:00:00.000Z',
}

const get = (sku: string) =>
  request('GET', `/stock/${encodeURIComponent(sku)}`, { params: { sku } })

t.test('asks the worker for the stock of the SKU, upper-cased and trimmed', async (t) => {
  const ctx = fakeCtx({ 'stock.get': () => bolt })
  const { status, body } = await settle(await handler(get(' bolt-m8'), ctx))
  t.equal(status, 200)
  t.strictSame(body, bolt)
  t.strictSame(ctx.sent, [{ op: 'stock.get', payload: { sku: 'BOLT-M8' }, options: undefined }])
})

for (const sku of ['', 'BOLT/M8', 'BOLT M8', '_BOLT', 'ß']) {
  t.test(`refuses the malformed SKU ${JSON.stringify(sku)} without asking the worker`, (t) =>
    assertRefused(t, handler, get(sku), {
      status: 400,
      code: 'VALIDATION_FAILED',
      message: /^Invalid SKU in the path: /,
      details: [
        { path: '', message: /^must be 1-64 letters, digits, dots, dashes or underscores/ },
      ],
    })
  )
}

t.test('passes on the worker refusal for an item not in the catalogue', async (t) => {
  const ctx = await assertPassesOn(t, handler, get('nope'), 'stock.get', {
    status: 404,
    code: 'NOT_FOUND',
    message: 'No item with SKU NOPE',
  })
  t.strictSame(ctx.sent, [{ op: 'stock.get', payload: { sku: 'NOPE' }, options: undefined }])
})
