import t from 'tap'
import handler from '../../../handlers/movements/batch.post.ts'
import type { Ctx } from '../../../runtime/index.ts'
import { fakeCtx, request, settle } from '../../fixtures/handler-kit.ts'

type Reply = Awaited<ReturnType<Ctx['db']['sendEach']>>[number]

const recorded: Reply = {
  ok: true,
  replayed: false,
  data: { seq: 7, type: 'receipt', sku: 'BOLT-M8', quantity: 5 } as never,
}
const refused: Reply = {
  ok: false,
  replayed: false,
  status: 409,
  code: 'INSUFFICIENT_STOCK',
  error: 'BOLT-M8 has 0 on hand',
}
const unanswered = (code: 'DB_UNAVAILABLE' | 'DB_TIMEOUT' | 'DB_BUSY', status: number): Reply => ({
  ok: false,
  replayed: false,
  status,
  code,
  error: code === 'DB_TIMEOUT' ? 'The database did not answer in time' : 'The database is down',
})

/** The batch of `replies.length` receipts, its database answering each line with its reply. */
function batch(replies: Reply[]) {
  const ctx = fakeCtx()
  ctx.db.sendEach = (async () => replies) as Ctx['db']['sendEach']
  const lines = replies.map((_, i) => ({
    key: `k-${i}`,
    type: 'receipt',
    sku: 'BOLT-M8',
    quantity: 5,
  }))
  return handler(request('POST', '/movements/batch', { body: { lines } }), ctx)
    .then(settle)
    .catch((err: { status: number; code: string; message: string; headers?: unknown }) => err)
}

t.test('lines the node could not settle are to retry, not refused', async (t) => {
  const full: Reply = { ok: false, replayed: false, status: 507, code: 'DISK_FULL', error: 'full' }
  const answer = await batch([recorded, refused, unanswered('DB_TIMEOUT', 504), full])
  t.match(answer, {
    status: 200,
    body: {
      applied: 1,
      refused: 1,
      retry: 2,
      answers: [
        { status: 201 },
        { status: 409 },
        { status: 504, code: 'DB_TIMEOUT' },
        { status: 507 },
      ],
    },
  })
})

t.test("a batch with no line settled fails as a whole, with the first line's status", async (t) => {
  for (const [code, status] of [
    ['DB_UNAVAILABLE', 503],
    ['DB_TIMEOUT', 504],
    ['DB_BUSY', 503],
  ] as const) {
    const answer = await batch([unanswered(code, status), unanswered(code, status)])
    t.match(answer, {
      status,
      code,
      message: /^No line is known to be recorded .*send the batch again with the same keys/,
      headers: { 'retry-after': '1' },
    })
  }
})
