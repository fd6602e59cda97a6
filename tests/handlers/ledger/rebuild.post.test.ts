import t from 'tap'
import type { LedgerCheck, LedgerRebuild } from '../../../db/contract/index.ts'
import handler from '../../../handlers/ledger/rebuild.post.ts'
import { fakeCtx, refusal, request, settle } from '../../fixtures/handler-kit.ts'

const rebuilt: LedgerRebuild = { rebuilt: 3, changes: [{ sku: 'BOLT-M8', before: 50, after: 47 }] }
const check: LedgerCheck = {
  ok: false,
  differences: [],
  checked: { movements: 14, balances: 3 },
  head: { seq: 14, hash: 'c'.repeat(64) },
}
const verifies = {
  'ledger.verifyStart': () => ({ job: 'j', checked: 10, of: 14, ready: false, ms: 1 }),
  'ledger.verifyStep': () => ({ job: 'j', checked: 14, of: 14, ready: true, ms: 1 }),
  'ledger.verifyFinish': () => check,
}

t.test(
  'verifies in steps first, then asks the worker to rebuild, allowing it two minutes',
  async (t) => {
    const ctx = fakeCtx({ ...verifies, 'ledger.rebuild': () => rebuilt })
    const { status, body } = await settle(await handler(request('POST', '/ledger/rebuild'), ctx))
    t.equal(status, 200)
    t.strictSame(body, rebuilt)
    t.strictSame(
      ctx.sent.map((s) => s.op),
      ['ledger.verifyStart', 'ledger.verifyStep', 'ledger.verifyFinish', 'ledger.rebuild']
    )
    t.strictSame(ctx.sent.at(-1), {
      op: 'ledger.rebuild',
      payload: {},
      options: { timeoutMs: 120_000 },
    })
  }
)

t.test('passes on the refusal of a ledger whose chain is broken (409 LEDGER_BROKEN)', async (t) => {
  const message = "The ledger's hash chain is broken: movement 6 was removed from the end"
  const ctx = fakeCtx({
    ...verifies,
    'ledger.rebuild': () => {
      throw refusal('LEDGER_BROKEN', message)
    },
  })
  await t.rejects(handler(request('POST', '/ledger/rebuild'), ctx), {
    status: 409,
    code: 'LEDGER_BROKEN',
    message,
  })
})
