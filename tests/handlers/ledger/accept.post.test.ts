import t from 'tap'
import type { LedgerAcceptance } from '../../../db/contract/index.ts'
import handler from '../../../handlers/ledger/accept.post.ts'
import { assertRefused, fakeCtx, request, settle } from '../../fixtures/handler-kit.ts'

const accepted: LedgerAcceptance = {
  acceptedAt: '2026-11-23T10:00:00.000Z',
  reason: 'row 57 lost in the disk failure of 2026-11-20; counted again',
  head: { seq: 56, hash: 'a'.repeat(64) },
  anchor: { seq: 57, hash: 'b'.repeat(64) },
  problems: ['movement 57 was removed from the end'],
  changes: [],
}

t.test(
  'sends the reason to the worker and answers the acceptance, logged as a warning',
  async (t) => {
    const ctx = fakeCtx({ 'ledger.accept': () => accepted })
    const logged: unknown[] = []
    ctx.log.warn = ((...args: unknown[]) => logged.push(args)) as typeof ctx.log.warn
    const body = { reason: `  ${accepted.reason} ` }
    const { status, body: answer } = await settle(
      await handler(request('POST', '/ledger/accept', { body }), ctx)
    )
    t.equal(status, 200)
    t.strictSame(answer, accepted)
    t.strictSame(ctx.sent, [
      {
        op: 'ledger.accept',
        payload: { reason: accepted.reason },
        options: { timeoutMs: 120_000 },
      },
    ])
    t.match(logged, [[accepted, 'the ledger was accepted as it stands']])
  }
)

for (const [why, body, message] of [
  ['no reason', {}, 'is required'],
  ['an empty reason', { reason: '   ' }, 'must not be empty'],
  ['a reason that is not text', { reason: 42 }, 'must be a string'],
] as const) {
  t.test(`refuses ${why}, accepting nothing`, (t) =>
    assertRefused(t, handler, request('POST', '/ledger/accept', { body }), {
      status: 400,
      code: 'VALIDATION_FAILED',
      details: [{ path: 'reason', message }],
    })
  )
}
