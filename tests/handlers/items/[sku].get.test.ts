import t from 'tap'
import type { Item } from '../../../db/contract/index.ts'
import handler from '../../../handlers/items/[sku].get.ts'
import {
  assertPassesOn,
  assertRefused,
  fakeCtx,
  request,
  settle,
} from '../../fixtures/handler-kit.ts'

const bolt: Item = {
  sku: 'BOLT-M8',
  name: 'Bolt M8',
  unit: 'ea',
  description: '',
  reorderPoint: 5,
  createdAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:00.000Z',
}

const get = (sku: string) =>
  request('GET', `/items/${encodeURIComponent(sku)}`, { params: { sku } })

t.test(
  'asks the worker for the item, upper-casing and trimming the SKU from the path',
  async (t) => {
    const ctx = fakeCtx({ 'items.get': () => bolt })
    const { status, body } = await settle(await handler(get(' bolt-m8 '), ctx))
    t.equal(status, 200)
    t.strictSame(body, bolt)
    t.strictSame(ctx.sent, [{ op: 'items.get', payload: { sku: 'BOLT-M8' }, options: undefined }])
  }
)

const malformed = [
  ['a space', 'a b'],
  ['a leading dash', '-BOLT'],
  ['65 characters', 'A'.repeat(65)],
  ['a letter that upper-cases into another SKU', 'straße'],
]
for (const [what, sku] of malformed) {
  t.test(`refuses a SKU with ${what} without asking the worker`, (t) =>
    assertRefused(t, handler, get(sku), {
      status: 400,
      code: 'VALIDATION_FAILED',
      message: /^Invalid SKU in the path: must be 1-64 letters/,
    })
  )
}

t.test('passes on the worker refusal for an unknown SKU', (t) =>
  assertPassesOn(t, handler, get('NOPE'), 'items.get', {
    status: 404,
    code: 'NOT_FOUND',
    message: 'No item with SKU NOPE',
  })
)
