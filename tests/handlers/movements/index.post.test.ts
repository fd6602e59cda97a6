import t from 'tap'
import type { Movement, MovementInput } from '../../../db/contract/index.ts'
import handler from '../../../handlers/movements/index.post.ts'
import type { HandlerRequest } from '../../../runtime/index.ts'
import {
  assertPassesOn,
  assertRefused,
  fakeCtx,
  request,
  settle,
} from '../../fixtures/handler-kit.ts'

const receipt: Movement = {
  seq: 13,
  type: 'receipt',
  sku: 'BOLT-M8',
  quantity: 10,
  delta: 10,
  countedQuantity: null,
  balanceAfter: 50,
  reference: 'PO-1',
  note: '',
  createdAt: '2026-11-22T10:00:00.000Z',
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
}

const post = (body: unknown, headers?: Record<string, string>) =>
  request('POST', '/movements', { body, headers })

t.test('records a receipt and answers 201 with a Location listing the SKU movements', async (t) => {
  const ctx = fakeCtx({ 'movements.record': () => receipt })
  const response = await handler(
    post({ type: 'receipt', sku: ' bolt-m8', quantity: 10, reference: ' PO-1 ' }),
    ctx
  )
  const { status, body, headers } = await settle(response)
  t.equal(status, 201)
  t.equal(headers.get('location'), '/movements?sku=BOLT-M8')
  t.strictSame(body, receipt)
  t.strictSame(ctx.sent, [
    {
      op: 'movements.record',
      payload: { type: 'receipt', quantity: 10, sku: 'BOLT-M8', reference: 'PO-1' },
      options: undefined,
    },
  ])
})

const accepted: [string, unknown, MovementInput][] = [
  [
    'an issue',
    { type: 'issue', sku: 'bolt-m8', quantity: 3, note: 'to line 2 ' },
    { type: 'issue', quantity: 3, sku: 'BOLT-M8', note: 'to line 2' },
  ],
  [
    'an adjustment to a counted quantity',
    { type: 'adjustment', sku: 'BOLT-M8', countedQuantity: 37 },
    { type: 'adjustment', sku: 'BOLT-M8', countedQuantity: 37 },
  ],
  [
    'a count of zero',
    { type: 'adjustment', sku: 'BOLT-M8', countedQuantity: 0 },
    { type: 'adjustment', sku: 'BOLT-M8', countedQuantity: 0 },
  ],
  [
    'a negative delta',
    { type: 'adjustment', sku: 'BOLT-M8', delta: -2, note: 'broken' },
    { type: 'adjustment', sku: 'BOLT-M8', note: 'broken', delta: -2 },
  ],
  [
    'a quantity of a billion',
    { type: 'receipt', sku: 'BOLT-M8', quantity: 1_000_000_000 },
    { type: 'receipt', quantity: 1_000_000_000, sku: 'BOLT-M8' },
  ],
]
for (const [what, body, payload] of accepted) {
  t.test(`sends ${what} to the worker as exactly the movement given`, async (t) => {
    const ctx = fakeCtx({ 'movements.record': () => receipt })
    await handler(post(body), ctx)
    t.strictSame(
      ctx.sent.map((s) => s.payload),
      [payload]
    )
  })
}

const receiptOf = (quantity: unknown) => ({ type: 'receipt', sku: 'BOLT-M8', quantity })
const adjustment = (fields: object) => ({ type: 'adjustment', sku: 'BOLT-M8', ...fields })
const invalid: [string, unknown, { path: string; message: string | RegExp }[]][] = [
  [
    'a movement without a type',
    { sku: 'BOLT-M8', quantity: 1 },
    [{ path: 'type', message: 'must be receipt, issue or adjustment' }],
  ],
  [
    'a movement of an unknown type',
    { type: 'gift', sku: 'BOLT-M8', quantity: 1 },
    [{ path: 'type', message: 'must be receipt, issue or adjustment' }],
  ],
  ['a body that is null', null, [{ path: '', message: 'must be a JSON object' }]],
  ['a body that is an array', [receiptOf(1)], [{ path: '', message: 'must be a JSON object' }]],
  [
    'a receipt without a SKU',
    { type: 'receipt', quantity: 1 },
    [{ path: 'sku', message: 'is required' }],
  ],
  [
    'a receipt without a quantity',
    { type: 'receipt', sku: 'BOLT-M8' },
    [{ path: 'quantity', message: 'is required' }],
  ],
  ['a receipt of zero', receiptOf(0), [{ path: 'quantity', message: 'must be greater than zero' }]],
  [
    'a negative issue',
    { type: 'issue', sku: 'BOLT-M8', quantity: -4 },
    [{ path: 'quantity', message: 'must be greater than zero' }],
  ],
  [
    'a fractional quantity',
    receiptOf(1.5),
    [{ path: 'quantity', message: 'must be a whole number' }],
  ],
  [
    'a quantity given as a string',
    receiptOf('5'),
    [{ path: 'quantity', message: 'must be a number' }],
  ],
  [
    'a quantity above a billion',
    receiptOf(1_000_000_001),
    [{ path: 'quantity', message: 'must be at most 1,000,000,000' }],
  ],
  [
    'a quantity that JSON reads as infinite',
    '{"type":"receipt","sku":"BOLT-M8","quantity":1e999}',
    [{ path: 'quantity', message: 'must be a number' }],
  ],
  [
    'a SKU with characters outside the SKU alphabet',
    { type: 'receipt', sku: 'BOLT#8', quantity: 1 },
    [{ path: 'sku', message: /^must be 1-64 letters/ }],
  ],
  [
    'a reference longer than 100 characters',
    { ...receiptOf(1), reference: 'r'.repeat(101) },
    [{ path: 'reference', message: 'must be at most 100 characters' }],
  ],
  [
    'a receipt with a delta',
    { ...receiptOf(1), delta: 1 },
    [{ path: 'delta', message: 'is not a known field' }],
  ],
  [
    'an adjustment with a quantity',
    adjustment({ quantity: 1 }),
    [{ path: 'quantity', message: 'is not a known field' }],
  ],
  [
    'an adjustment with both countedQuantity and delta',
    adjustment({ countedQuantity: 4, delta: 1 }),
    [{ path: 'delta', message: /^cannot be given with countedQuantity/ }],
  ],
  [
    'an adjustment with neither countedQuantity nor delta',
    adjustment({}),
    [{ path: 'countedQuantity', message: /^is required unless delta is given/ }],
  ],
  [
    'an adjustment with a delta of zero',
    adjustment({ delta: 0 }),
    [{ path: 'delta', message: 'must not be zero' }],
  ],
  [
    'a fractional delta',
    adjustment({ delta: -0.5 }),
    [{ path: 'delta', message: 'must be a whole number' }],
  ],
  [
    'a delta below minus a billion',
    adjustment({ delta: -2e9 }),
    [{ path: 'delta', message: 'must be at least -1,000,000,000' }],
  ],
  [
    'a delta given as a string',
    adjustment({ delta: '-3' }),
    [{ path: 'delta', message: 'must be a number' }],
  ],
  [
    'a negative count',
    adjustment({ countedQuantity: -1 }),
    [{ path: 'countedQuantity', message: 'must not be negative' }],
  ],
]
for (const [what, body, details] of invalid) {
  t.test(`refuses ${what} without asking the worker`, (t) =>
    assertRefused(t, handler, post(body), { status: 400, code: 'VALIDATION_FAILED', details })
  )
}

t.test('explains a refused adjustment in a sentence that starts with the field', async (t) => {
  const ctx = fakeCtx()
  await t.rejects(async () => handler(post(adjustment({ countedQuantity: 4, delta: 1 })), ctx), {
    message:
      'Invalid request body: delta cannot be given with countedQuantity: send what was counted or the signed change',
  })
  await t.rejects(async () => handler(post(adjustment({ reference: 'COUNT-7' })), ctx), {
    message:
      'Invalid request body: countedQuantity is required unless delta is given: send what was counted or the signed change',
  })
})

const unreadable: [
  string,
  () => HandlerRequest,
  { status: number; code: string; message?: RegExp },
][] = [
  [
    'a body sent as a form',
    () => post('type=receipt', { 'content-type': 'multipart/form-data; boundary=x' }),
    { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  ],
  [
    'malformed JSON',
    () => post('{"type":"receipt"'),
    { status: 400, code: 'INVALID_JSON', message: /not valid JSON/ },
  ],
  ['an empty body', () => post('  '), { status: 400, code: 'INVALID_JSON', message: /empty/ }],
  [
    'a body over 64 KiB',
    () => post({ ...receiptOf(1), note: 'n'.repeat(70_000) }),
    { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  ],
]
for (const [what, build, expected] of unreadable) {
  t.test(`refuses ${what} without asking the worker`, (t) =>
    assertRefused(t, handler, build(), expected)
  )
}

t.test(
  'passes on the refusal of an issue beyond the stock on hand, with its message and details',
  async (t) => {
    const message = 'Cannot issue 12 ea of BOLT-M8 at Test Warehouse: only 5 on hand, short by 7'
    const details = {
      sku: 'BOLT-M8',
      warehouse: 'Test Warehouse',
      requested: 12,
      onHand: 5,
      shortfall: 7,
    }
    const issue = post({ type: 'issue', sku: 'BOLT-M8', quantity: 12 })
    await assertPassesOn(t, handler, issue, 'movements.record', {
      status: 409,
      code: 'INSUFFICIENT_STOCK',
      message,
      details,
    })
  }
)

t.test('passes on the refusal of a movement for an item not in the catalogue', async (t) => {
  const ghost = post({ type: 'receipt', sku: 'nope', quantity: 1 })
  await assertPassesOn(t, handler, ghost, 'movements.record', {
    status: 404,
    code: 'NOT_FOUND',
    message: 'No item with SKU NOPE',
  })
})
