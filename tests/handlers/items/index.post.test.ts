import t from 'tap'
import type { Item } from '../../../db/contract/index.ts'
import handler from '../../../handlers/items/index.post.ts'
import type { HandlerRequest } from '../../../runtime/index.ts'
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
const valid = { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' }

const post = (body: unknown, headers?: Record<string, string>) =>
  request('POST', '/items', { body, headers })

t.test('creates the item and answers 201 with its Location', async (t) => {
  const ctx = fakeCtx({ 'items.create': () => bolt })
  const response = await handler(
    post({ sku: ' bolt-m8 ', name: ' Bolt M8 ', unit: 'ea ', reorderPoint: 5 }),
    ctx
  )
  const { status, body, headers } = await settle(response)
  t.equal(status, 201)
  t.equal(headers.get('location'), '/items/BOLT-M8')
  t.strictSame(body, bolt)
  t.strictSame(ctx.sent, [
    {
      op: 'items.create',
      payload: { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea', reorderPoint: 5 },
      options: undefined,
    },
  ])
})

t.test('sends the description, trimmed, and a reorder point of zero', async (t) => {
  const ctx = fakeCtx({ 'items.create': () => bolt })
  await handler(post({ ...valid, description: ' Zinc-plated\n', reorderPoint: 0 }), ctx)
  t.strictSame(
    ctx.sent.map((s) => s.payload),
    [{ ...valid, description: 'Zinc-plated', reorderPoint: 0 }]
  )
})

t.test(
  'sends a reorder point of null (none: never low), and none when it is left out',
  async (t) => {
    const ctx = fakeCtx({ 'items.create': () => bolt })
    await handler(post({ ...valid, reorderPoint: null }), ctx)
    await handler(post(valid), ctx)
    t.strictSame(
      ctx.sent.map((s) => s.payload),
      [{ ...valid, reorderPoint: null }, valid]
    )
  }
)

const invalid: [string, unknown, { path: string; message: string | RegExp }[]][] = [
  [
    'an item without a name',
    { sku: 'BOLT-M8', unit: 'ea' },
    [{ path: 'name', message: 'is required' }],
  ],
  [
    'an item without SKU or unit',
    { name: 'Bolt M8' },
    [
      { path: 'sku', message: 'is required' },
      { path: 'unit', message: 'is required' },
    ],
  ],
  ['a blank name', { ...valid, name: '   ' }, [{ path: 'name', message: 'must not be empty' }]],
  [
    'a name longer than 200 characters',
    { ...valid, name: 'n'.repeat(201) },
    [{ path: 'name', message: 'must be at most 200 characters' }],
  ],
  [
    'a unit longer than 20 characters',
    { ...valid, unit: 'u'.repeat(21) },
    [{ path: 'unit', message: 'must be at most 20 characters' }],
  ],
  [
    'a description longer than 2000 characters',
    { ...valid, description: 'd'.repeat(2001) },
    [{ path: 'description', message: 'must be at most 2000 characters' }],
  ],
  [
    'a name with a NUL in it',
    { ...valid, name: 'Bolt\u0000M8' },
    [
      {
        path: 'name',
        message:
          'must not contain control characters (tabs and line breaks aside), direction overrides or zero-width spaces',
      },
    ],
  ],
  [
    'a description with a terminal escape sequence',
    { ...valid, description: 'zinc \u001b]0;pwned\u0007 plated' },
    [{ path: 'description', message: /^must not contain control characters/ }],
  ],
  [
    'an opening stock, which only a movement can set',
    { ...valid, onHand: 10 },
    [{ path: 'onHand', message: 'is not a known field' }],
  ],
  [
    'a SKU with a space',
    { ...valid, sku: 'BOLT M8' },
    [{ path: 'sku', message: /^must be 1-64 letters/ }],
  ],
  [
    'a SKU with a slash',
    { ...valid, sku: 'BOLT/M8' },
    [{ path: 'sku', message: /^must be 1-64 letters/ }],
  ],
  [
    'a SKU longer than 64 characters',
    { ...valid, sku: 'B'.repeat(65) },
    [{ path: 'sku', message: /^must be 1-64 letters/ }],
  ],
  [
    'a SKU with a letter that upper-cases into another SKU',
    { ...valid, sku: 'STRAßE' },
    [{ path: 'sku', message: /^must be 1-64 letters/ }],
  ],
  [
    'a SKU given as a number',
    { ...valid, sku: 42 },
    [{ path: 'sku', message: 'must be a string' }],
  ],
  [
    'a negative reorder point',
    { ...valid, reorderPoint: -1 },
    [{ path: 'reorderPoint', message: 'must not be negative' }],
  ],
  [
    'a fractional reorder point',
    { ...valid, reorderPoint: 2.5 },
    [{ path: 'reorderPoint', message: 'must be a whole number' }],
  ],
  [
    'a reorder point given as a string',
    { ...valid, reorderPoint: '5' },
    [{ path: 'reorderPoint', message: 'must be a number, or null for none' }],
  ],
  [
    'a reorder point above a billion',
    { ...valid, reorderPoint: 1e10 },
    [{ path: 'reorderPoint', message: 'must be at most 1,000,000,000' }],
  ],
  ['a body that is an array', [valid], [{ path: '', message: /expected object/ }]],
]
for (const [what, body, details] of invalid) {
  t.test(`refuses ${what} without asking the worker`, (t) =>
    assertRefused(t, handler, post(body), { status: 400, code: 'VALIDATION_FAILED', details })
  )
}

t.test('names every unknown field in the refusal', (t) =>
  assertRefused(t, handler, post({ ...valid, price: 3, colour: 'zinc' }), {
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'Invalid request body: price is not a known field; colour is not a known field',
    details: [
      { path: 'price', message: 'is not a known field' },
      { path: 'colour', message: 'is not a known field' },
    ],
  })
)

const unreadable: [
  string,
  () => HandlerRequest,
  { status: number; code: string; message?: RegExp },
][] = [
  [
    'a body that is not JSON by its content type',
    () => post('sku=BOLT-M8', { 'content-type': 'application/x-www-form-urlencoded' }),
    { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  ],
  [
    'a body without a content type',
    () => request('POST', '/items'),
    { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  ],
  [
    'malformed JSON',
    () => post('{"sku": "BOLT-M8",'),
    { status: 400, code: 'INVALID_JSON', message: /not valid JSON/ },
  ],
  ['an empty body', () => post(''), { status: 400, code: 'INVALID_JSON', message: /empty/ }],
  [
    'a body over 64 KiB',
    () => post({ ...valid, description: 'd'.repeat(70_000) }),
    { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  ],
]
for (const [what, build, expected] of unreadable) {
  t.test(`refuses ${what} without asking the worker`, (t) =>
    assertRefused(t, handler, build(), expected)
  )
}

t.test('passes on the worker refusal of a SKU already in the catalogue', (t) =>
  assertPassesOn(t, handler, post(valid), 'items.create', {
    status: 409,
    code: 'CONFLICT',
    message: 'An item with SKU BOLT-M8 already exists',
    details: [{ path: 'sku', message: 'is taken' }],
  })
)
