import t from 'tap'
import type { Movement } from '../../../db/contract/index.ts'
import handler from '../../../handlers/movements/index.get.ts'
import {
  assertPassesOn,
  assertRefused,
  fakeCtx,
  request,
  settle,
} from '../../fixtures/handler-kit.ts'

const issue: Movement = {
  seq: 14,
  type: 'issue',
  sku: 'BOLT-M8',
  quantity: 3,
  delta: -3,
  countedQuantity: null,
  balanceAfter: 47,
  reference: '',
  note: 'to line 2',
  createdAt: '2026-11-22T11:00:00.000Z',
  prevHash: 'b'.repeat(64),
  hash: 'c'.repeat(64),
}
const page = { movements: [issue], nextCursor: '14' }

t.test('lists the ledger 50 movements a page when no filter is given', async (t) => {
  const ctx = fakeCtx({ 'movements.list': () => page })
  const { status, body } = await settle(await handler(request('GET', '/movements'), ctx))
  t.equal(status, 200)
  t.strictSame(body, page)
  t.strictSame(ctx.sent, [{ op: 'movements.list', payload: { limit: 50 }, options: undefined }])
})

t.test("names the warehouse of a row a peer's message made, when it is a member", async (t) => {
  const SUR = '00000000-0000-4000-8000-0000000000b2'
  const rows = [
    { ...issue, seq: 3, actor: `peer:${SUR}` },
    { ...issue, seq: 2, actor: 'peer:00000000-0000-4000-8000-0000000000ff' },
    { ...issue, seq: 1, actor: 'ana' },
  ]
  const members = [{ id: SUR, name: 'Sur' }]
  const ctx = fakeCtx({ 'movements.list': () => ({ movements: rows, nextCursor: null }) }, {
    opened: true,
    snapshot: () => ({ members, participating: true }),
  } as never)
  const { body } = await settle(await handler(request('GET', '/movements'), ctx))
  t.strictSame(
    (body as { movements: (Movement & { actorName?: string })[] }).movements.map((m) => [
      m.actor,
      m.actorName,
    ]),
    [
      [`peer:${SUR}`, 'Sur'],
      ['peer:00000000-0000-4000-8000-0000000000ff', undefined],
      ['ana', undefined],
    ],
    'the actor as hashed, and beside it the name of a peer this node knows'
  )
})

t.test(
  'passes every filter normalised: SKU upper-cased, times as UTC ISO, limit as a number',
  async (t) => {
    const ctx = fakeCtx({ 'movements.list': () => page })
    const query =
      'sku=%20bolt-m8&type=issue&from=2026-11-22&to=2026-11-23T01:30:00%2B02:00&order=asc&limit=5&cursor=14'
    await handler(request('GET', `/movements?${query}`), ctx)
    t.strictSame(
      ctx.sent.map((s) => s.payload),
      [
        {
          sku: 'BOLT-M8',
          type: 'issue',
          from: '2026-11-22T00:00:00.000Z',
          to: '2026-11-22T23:30:00.000Z',
          order: 'asc',
          limit: 5,
          cursor: '14',
        },
      ]
    )
  }
)

t.test('keeps fractions of a second and reads Z as UTC', async (t) => {
  const ctx = fakeCtx({ 'movements.list': () => page })
  await handler(
    request('GET', '/movements?from=2026-11-22T10:00:00.25Z&to=2026-11-22T10:00:00.25Z'),
    ctx
  )
  t.strictSame(
    ctx.sent.map((s) => s.payload),
    [{ from: '2026-11-22T10:00:00.250Z', to: '2026-11-22T10:00:00.250Z', limit: 50 }]
  )
})

const instant =
  'must be a date such as 2026-11-22 or a time with its zone such as 2026-11-22T10:00:00Z'
const refused: [string, string, { path: string; message: string | RegExp }][] = [
  ['limit=0', 'limit=0', { path: 'limit', message: 'must be at least 1' }],
  ['limit=501', 'limit=501', { path: 'limit', message: 'must be at most 500' }],
  ['an unknown parameter', 'direction=asc', { path: 'direction', message: 'is not a known field' }],
  ['an unknown order', 'order=newest', { path: 'order', message: 'must be asc or desc' }],
  [
    'an unknown type',
    'type=transfer',
    {
      path: 'type',
      message:
        'must be one of receipt, issue, adjustment, transfer_out, transfer_in, transfer_return, transfer_writeoff, count',
    },
  ],
  ['a malformed SKU', 'sku=BOLT%20M8', { path: 'sku', message: /^must be 1-64 letters/ }],
  ['a from that is not a date', 'from=yesterday', { path: 'from', message: instant }],
  [
    'a from that only a lenient parser reads as a date',
    'from=hello%201',
    { path: 'from', message: instant },
  ],
  ['a day that does not exist', 'from=2026-02-30', { path: 'from', message: instant }],
  [
    'a time without its zone, which would be read in the server zone',
    'from=2026-11-22T10:00:00',
    { path: 'from', message: instant },
  ],
  ['a to that is not a date', 'to=2026-13-01', { path: 'to', message: instant }],
  [
    'a from later than to',
    'from=2026-11-23&to=2026-11-22T23:59:59Z',
    { path: 'from', message: 'must not be later than to' },
  ],
  ['a repeated limit', 'limit=10&limit=20', { path: 'limit', message: 'must be given once' }],
]
for (const [what, query, problem] of refused) {
  t.test(`refuses ${what} without asking the worker`, (t) =>
    assertRefused(t, handler, request('GET', `/movements?${query}`), {
      status: 400,
      code: 'VALIDATION_FAILED',
      message: /^Invalid query: /,
      details: [problem],
    })
  )
}

t.test('passes on the worker refusal of a cursor it did not issue', (t) =>
  assertPassesOn(t, handler, request('GET', '/movements?cursor=forged'), 'movements.list', {
    status: 400,
    code: 'BAD_REQUEST',
    message: 'The cursor is not one this node issued',
  })
)
