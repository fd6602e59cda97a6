import t from 'tap'
import type { Stock } from '../../../db/contract/index.ts'
import handler from '../../../handlers/stock/index.get.ts'
import {
  assertPassesOn,
  assertRefused,
  fakeCtx,
  request,
  settle,
} from '../../fixtures/handler-kit.ts'

const nuts: Stock = {
  sku: 'NUT-M8',
  name: 'Nut M8',
  unit: 'ea',
  onHand: 3,
  inTransit: 0,
  sent: 0,
  received: 2,
  reorderPoint: 5,
  low: true,
  lastSeq: 7,
  updatedAt: '2026-11-22T10:00:00.000Z',
}
const page = { stock: [nuts], nextCursor: 'NUT-M8' }

t.test('lists all stock, 50 items a page, when low is not given', async (t) => {
  const ctx = fakeCtx({ 'stock.list': () => page })
  const { status, body } = await settle(await handler(request('GET', '/stock'), ctx))
  t.equal(status, 200)
  t.strictSame(body, page)
  t.strictSame(ctx.sent, [
    { op: 'stock.list', payload: { low: false, limit: 50, cursor: undefined }, options: undefined },
  ])
})

t.test('sends low as a boolean, with the limit as a number and the cursor given', async (t) => {
  const ctx = fakeCtx({ 'stock.list': () => page })
  await handler(request('GET', '/stock?low=true&limit=10&cursor=NUT-M8'), ctx)
  await handler(request('GET', '/stock?low=false'), ctx)
  t.strictSame(
    ctx.sent.map((s) => s.payload),
    [
      { low: true, limit: 10, cursor: 'NUT-M8' },
      { low: false, limit: 50, cursor: undefined },
    ]
  )
})

const refused: [string, string, { path: string; message: string }][] = [
  ['low=1', '/stock?low=1', { path: 'low', message: 'must be true or false' }],
  ['low=TRUE', '/stock?low=TRUE', { path: 'low', message: 'must be true or false' }],
  ['an empty low', '/stock?low=', { path: 'low', message: 'must be true or false' }],
  ['limit=0', '/stock?limit=0', { path: 'limit', message: 'must be at least 1' }],
  ['limit=501', '/stock?limit=501', { path: 'limit', message: 'must be at most 500' }],
  ['a fractional limit', '/stock?limit=2.5', { path: 'limit', message: 'must be a whole number' }],
  [
    'a limit that is not a number',
    '/stock?limit=ten',
    { path: 'limit', message: 'must be a whole number, in digits' },
  ],
  ['an unknown parameter', '/stock?sku=BOLT-M8', { path: 'sku', message: 'is not a known field' }],
]
for (const [what, path, problem] of refused) {
  t.test(`refuses ${what} without asking the worker`, (t) =>
    assertRefused(t, handler, request('GET', path), {
      status: 400,
      code: 'VALIDATION_FAILED',
      message: `Invalid query: ${problem.path} ${problem.message}`,
      details: [problem],
    })
  )
}

t.test('passes on the worker refusal of a cursor it did not issue', (t) =>
  assertPassesOn(t, handler, request('GET', '/stock?cursor=forged'), 'stock.list', {
    status: 400,
    code: 'BAD_REQUEST',
    message: 'The cursor is not one this node issued',
    details: [{ path: 'cursor', message: 'is not valid' }],
  })
)
