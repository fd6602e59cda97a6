import t from 'tap'
import type { Item } from '../../../../db/contract/index.ts'
import handler from '../../../../handlers/items/[sku]/adopt.post.ts'
import {
  assertPassesOn,
  assertRefused,
  fakeCtx,
  request,
  settle,
} from '../../../fixtures/handler-kit.ts'

const rope: Item = {
  sku: 'ROPE-10',
  name: 'Rope 10 mm',
  unit: 'm',
  description: 'nylon',
  reorderPoint: 20,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
}

const adopt = (sku: string, body?: unknown, headers?: Record<string, string>) =>
  request('POST', `/items/${encodeURIComponent(sku)}/adopt`, { params: { sku }, body, headers })

t.test(
  'sends the upper-cased SKU and the peer, and answers 201 with the adopted item',
  async (t) => {
    const ctx = fakeCtx({ 'items.adopt': () => ({ item: rope, adopted: true }) })
    const { status, body, headers } = await settle(
      await handler(adopt('rope-10', { from: 'node-norte' }), ctx)
    )
    t.equal(status, 201)
    t.equal(headers.get('location'), '/items/ROPE-10')
    t.strictSame(body, { item: rope, adopted: true })
    t.strictSame(ctx.sent, [
      { op: 'items.adopt', payload: { sku: 'ROPE-10', from: 'node-norte' }, options: undefined },
    ])
  }
)

t.test('answers 200 when the same definition was here already', async (t) => {
  const ctx = fakeCtx({ 'items.adopt': () => ({ item: rope, adopted: false }) })
  const { status, body } = await settle(await handler(adopt('ROPE-10', { from: 'n' }), ctx))
  t.equal(status, 200)
  t.match(body, { adopted: false })
})

const invalid: [string, unknown, { path: string; message: string }][] = [
  ['no peer', {}, { path: 'from', message: 'must be the node id of a peer' }],
  ['an empty peer', { from: '' }, { path: 'from', message: 'must not be empty' }],
  [
    'a peer given as a number',
    { from: 7 },
    { path: 'from', message: 'must be the node id of a peer' },
  ],
  [
    'an unknown field',
    { from: 'n', unit: 'kg' },
    { path: 'unit', message: 'is not a known field' },
  ],
]
for (const [what, body, problem] of invalid) {
  t.test(`refuses ${what} without asking the worker`, (t) =>
    assertRefused(t, handler, adopt('ROPE-10', body), {
      status: 400,
      code: 'VALIDATION_FAILED',
      details: [problem],
    })
  )
}

t.test('refuses a malformed SKU in the path without asking the worker', (t) =>
  assertRefused(t, handler, adopt('rope 10', { from: 'n' }), {
    status: 400,
    code: 'VALIDATION_FAILED',
    message: /^Invalid SKU in the path/,
  })
)

t.test('refuses a body that is not JSON without asking the worker', (t) =>
  assertRefused(t, handler, adopt('ROPE-10', 'from=n', { 'content-type': 'text/plain' }), {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  })
)

t.test("passes on the worker's 404 and 409", async (t) => {
  await assertPassesOn(t, handler, adopt('NOPE', { from: 'n' }), 'items.adopt', {
    status: 404,
    code: 'NOT_FOUND',
    message: 'This node holds no definition of NOPE from node n',
  })
  await assertPassesOn(t, handler, adopt('ROPE-10', { from: 'n' }), 'items.adopt', {
    status: 409,
    code: 'CONFLICT',
    message: 'ROPE-10 is already in this catalogue with another unit',
    details: [{ path: 'unit', message: "differs from n's definition" }],
  })
})
