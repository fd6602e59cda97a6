import t from 'tap'
import type { Item } from '../../../db/contract/index.ts'
import handler from '../../../handlers/items/index.get.ts'
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
  description: 'Zinc-plated hex bolt',
  reorderPoint: 5,
  createdAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:00.000Z',
}
const page = { items: [bolt], nextCursor: null }

t.test('lists the catalogue 50 items a page when no parameter is given', async (t) => {
  const ctx = fakeCtx({ 'items.list': () => page })
  const { status, body } = await settle(await handler(request('GET', '/items'), ctx))
  t.equal(status, 200)
  t.strictSame(body, page)
  t.strictSame(ctx.sent, [
    {
      op: 'items.list',
      payload: { search: undefined, limit: 50, cursor: undefined },
      options: undefined,
    },
  ])
})

t.test('passes the search trimmed, and the limit as a number with the cursor', async (t) => {
  const ctx = fakeCtx({ 'items.list': () => page })
  await handler(request('GET', '/items?search=%20hex%20bolt%20&limit=20&cursor=BOLT-M8'), ctx)
  t.strictSame(
    ctx.sent.map((s) => s.payload),
    [{ search: 'hex bolt', limit: 20, cursor: 'BOLT-M8' }]
  )
})

t.test('treats a blank search as no search at all', async (t) => {
  const ctx = fakeCtx({ 'items.list': () => page })
  await handler(request('GET', '/items?search=%20%20'), ctx)
  t.strictSame(
    ctx.sent.map((s) => s.payload),
    [{ search: undefined, limit: 50, cursor: undefined }]
  )
})

const refused: [string, string, { path: string; message: string }][] = [
  ['limit=0', '/items?limit=0', { path: 'limit', message: 'must be at least 1' }],
  ['limit=501', '/items?limit=501', { path: 'limit', message: 'must be at most 500' }],
  ['a negative limit', '/items?limit=-5', { path: 'limit', message: 'must be at least 1' }],
  [
    'a limit that is not a number',
    '/items?limit=all',
    { path: 'limit', message: 'must be a whole number, in digits' },
  ],
  [
    'a search longer than 100 characters',
    `/items?search=${'x'.repeat(101)}`,
    { path: 'search', message: 'must be at most 100 characters' },
  ],
  [
    'a cursor longer than 200 characters',
    `/items?cursor=${'x'.repeat(201)}`,
    { path: 'cursor', message: 'must be at most 200 characters' },
  ],
  ['an unknown parameter', '/items?sort=name', { path: 'sort', message: 'is not a known field' }],
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
  assertPassesOn(t, handler, request('GET', '/items?cursor=forged'), 'items.list', {
    status: 400,
    code: 'BAD_REQUEST',
    message: 'The cursor is not one this node issued',
  })
)
