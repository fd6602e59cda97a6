import t from 'tap'
import type { Item } from '../../../db/contract/index.ts'
import handler from '../../../handlers/items/[sku].patch.ts'
import type { HandlerRequest } from '../../../runtime/index.ts'
import {
  assertPassesOn,
  assertRefused,
  fakeCtx,
  request,
  settle,
} from '../../fixtures/handler-kit.ts'

const renamed: Item = {
  sku: 'BOLT-M8',
  name: 'Bolt M8 zinc',
  unit: 'ea',
  description: '',
  reorderPoint: 0,
  createdAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-23T09:30:00.000Z',
}

const patch = (sku: string, body?: unknown, headers?: Record<string, string>) =>
  request('PATCH', `/items/${encodeURIComponent(sku)}`, { params: { sku }, body, headers })

t.test(
  'sends only the fields given, trimmed, for the upper-cased SKU and answers the item',
  async (t) => {
    const ctx = fakeCtx({ 'items.update': () => renamed })
    const { status, body } = await settle(
      await handler(patch(' bolt-m8', { name: ' Bolt M8 zinc ', reorderPoint: 0 }), ctx)
    )
    t.equal(status, 200)
    t.strictSame(body, renamed)
    t.strictSame(ctx.sent, [
      {
        op: 'items.update',
        payload: { sku: 'BOLT-M8', patch: { name: 'Bolt M8 zinc', reorderPoint: 0 } },
        options: undefined,
      },
    ])
  }
)

t.test('sends an empty description, which clears it', async (t) => {
  const ctx = fakeCtx({ 'items.update': () => renamed })
  await handler(patch('BOLT-M8', { description: '  ' }), ctx)
  t.strictSame(
    ctx.sent.map((s) => s.payload),
    [{ sku: 'BOLT-M8', patch: { description: '' } }]
  )
})

t.test('sends a reorder point of null, which removes it (the item is never low)', async (t) => {
  const ctx = fakeCtx({ 'items.update': () => ({ ...renamed, reorderPoint: null }) })
  const { body } = await settle(await handler(patch('BOLT-M8', { reorderPoint: null }), ctx))
  t.match(body, { reorderPoint: null })
  t.strictSame(
    ctx.sent.map((s) => s.payload),
    [{ sku: 'BOLT-M8', patch: { reorderPoint: null } }]
  )
})

const invalid: [string, unknown, { path: string; message: string }][] = [
  [
    'an empty patch',
    {},
    { path: '', message: 'must change at least one of name, unit, description, reorderPoint' },
  ],
  ['a change of SKU', { sku: 'BOLT-M10' }, { path: 'sku', message: 'is not a known field' }],
  ['a change of stock on hand', { onHand: 3 }, { path: 'onHand', message: 'is not a known field' }],
  ['a blank name', { name: ' ' }, { path: 'name', message: 'must not be empty' }],
  ['a blank unit', { unit: '' }, { path: 'unit', message: 'must not be empty' }],
  ['a name given as null', { name: null }, { path: 'name', message: 'must be a string' }],
  [
    'a unit longer than 20 characters',
    { unit: 'u'.repeat(21) },
    { path: 'unit', message: 'must be at most 20 characters' },
  ],
  [
    'a negative reorder point',
    { reorderPoint: -1 },
    { path: 'reorderPoint', message: 'must not be negative' },
  ],
  [
    'a fractional reorder point',
    { reorderPoint: 0.5 },
    { path: 'reorderPoint', message: 'must be a whole number' },
  ],
  [
    'a reorder point given as a string',
    { reorderPoint: '7' },
    { path: 'reorderPoint', message: 'must be a number, or null for none' },
  ],
  [
    'a reorder point above a billion',
    { reorderPoint: 2e9 },
    { path: 'reorderPoint', message: 'must be at most 1,000,000,000' },
  ],
]
for (const [what, body, problem] of invalid) {
  t.test(`refuses ${what} without asking the worker`, (t) =>
    assertRefused(t, handler, patch('BOLT-M8', body), {
      status: 400,
      code: 'VALIDATION_FAILED',
      details: [problem],
    })
  )
}

t.test('refuses a malformed SKU in the path without asking the worker', (t) =>
  assertRefused(t, handler, patch('bolt m8', { name: 'Bolt M8' }), {
    status: 400,
    code: 'VALIDATION_FAILED',
    message: /^Invalid SKU in the path: must be 1-64 letters/,
  })
)

const unreadable: [
  string,
  () => HandlerRequest,
  { status: number; code: string; message?: RegExp },
][] = [
  [
    'a body sent as plain text',
    () => patch('BOLT-M8', '{"name":"Bolt"}', { 'content-type': 'text/plain' }),
    { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  ],
  [
    'malformed JSON',
    () => patch('BOLT-M8', "{name: 'Bolt'}"),
    { status: 400, code: 'INVALID_JSON', message: /not valid JSON/ },
  ],
  [
    'an empty body',
    () => patch('BOLT-M8', ''),
    { status: 400, code: 'INVALID_JSON', message: /empty/ },
  ],
  [
    'a body over 64 KiB',
    () => patch('BOLT-M8', { description: 'd'.repeat(70_000) }),
    { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  ],
]
for (const [what, build, expected] of unreadable) {
  t.test(`refuses ${what} without asking the worker`, (t) =>
    assertRefused(t, handler, build(), expected)
  )
}

t.test('passes on the worker refusals for an unknown SKU and a unit already in use', async (t) => {
  await assertPassesOn(t, handler, patch('NOPE', { name: 'Nope' }), 'items.update', {
    status: 404,
    code: 'NOT_FOUND',
    message: 'No item with SKU NOPE',
  })
  await assertPassesOn(t, handler, patch('BOLT-M8', { unit: 'box' }), 'items.update', {
    status: 409,
    code: 'CONFLICT',
    message: 'The unit of BOLT-M8 cannot change: it has movements',
    details: [{ path: 'unit', message: 'cannot change after the first movement' }],
  })
})
