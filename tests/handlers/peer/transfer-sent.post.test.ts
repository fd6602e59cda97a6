import t from 'tap'
import handler from '../../../handlers/peer/transfer-sent.post.ts'
import type { TransferDetail } from '../../../api/index.ts'
import { fakeCtx, refusal, request } from '../../fixtures/handler-kit.ts'

const ID = '0f8e4c52-9a1b-4d2e-8c3f-5b6a7d8e9f01'
const ask = (body: unknown) => request('POST', '/peer/transfer-sent', { body })

/** A node asked by `asker`, holding the transfer as `held` (or none: NOT_FOUND). */
function asked(asker: string, held: { direction: 'out' | 'in'; peer: string } | null) {
  const ctx = fakeCtx({
    'transfers.get': () => {
      if (!held) throw refusal('NOT_FOUND', `No transfer ${ID} here`)
      return { id: ID, ...held } as unknown as TransferDetail
    },
  })
  return Object.assign(ctx, { peer: asker })
}

t.test('sent: only a transfer this node sent to the node asking', async (t) => {
  t.strictSame(await handler(ask({ id: ID }), asked('b', { direction: 'out', peer: 'b' })), {
    sent: true,
  })
  for (const [why, ctx] of [
    ['no such transfer', asked('b', null)],
    ['sent to another node', asked('b', { direction: 'out', peer: 'c' })],
    ['received from the node asking', asked('b', { direction: 'in', peer: 'b' })],
  ] as const) {
    t.strictSame(await handler(ask({ id: ID }), ctx), { sent: false }, why)
    t.same(
      ctx.sent.map((s) => s.payload),
      [{ id: ID }]
    )
  }
})

t.test(
  'refuses an unsigned request and a malformed one, asking the database nothing',
  async (t) => {
    await t.rejects(async () => handler(ask({ id: ID }), fakeCtx()), {
      status: 401,
      code: 'UNAUTHENTICATED',
    })
    for (const body of [{}, { id: '' }, { id: 'x'.repeat(101) }, { id: 7 }]) {
      const ctx = asked('b', null)
      await t.rejects(
        async () => handler(ask(body), ctx),
        { status: 400, code: 'VALIDATION_FAILED' },
        JSON.stringify(body)
      )
      t.same(ctx.sent, [])
    }
  }
)

t.test('a failure of the database is not read as "not sent"', async (t) => {
  const ctx = Object.assign(
    fakeCtx({
      'transfers.get': () => {
        throw refusal('NOT_READY', 'The database is restarting')
      },
    }),
    { peer: 'b' }
  )
  await t.rejects(async () => handler(ask({ id: ID }), ctx), { code: 'NOT_READY' })
})
