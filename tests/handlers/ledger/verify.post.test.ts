import t from 'tap'
import type { LedgerCheck } from '../../../db/contract.ts'
import handler from '../../../handlers/ledger/verify.post.ts'
import { assertPassesOn, fakeCtx, request, settle } from '../../fixtures/handler-kit.ts'

const drifted: LedgerCheck = {
  ok: false,
  differences: [
    {
      kind: 'balance',
      sku: 'BOLT-M8',
      expected: 47,
      actual: 50,
      message: 'BOLT-M8: the balance is 50 but the ledger sums to 47',
    },
  ],
  checked: { movements: 14, balances: 3 },
  head: { seq: 14, hash: 'c'.repeat(64) },
}

t.test(
  'asks the worker to verify the whole ledger, allowing it two minutes, and answers its report',
  async (t) => {
    const ctx = fakeCtx({ 'ledger.verify': () => drifted })
    const { status, body } = await settle(await handler(request('POST', '/ledger/verify'), ctx))
    t.equal(status, 200)
    t.strictSame(body, drifted)
    t.strictSame(ctx.sent, [{ op: 'ledger.verify', payload: {}, options: { timeoutMs: 120_000 } }])
  }
)

t.test('passes on a worker that did not finish in time', (t) =>
  assertPassesOn(t, handler, request('POST', '/ledger/verify'), 'ledger.verify', {
    status: 504,
    code: 'DB_TIMEOUT',
    message: 'The database did not answer within 120000 ms',
  })
)
