import t from 'tap'
import type { LedgerRebuild } from '../../../db/contract.ts'
import handler from '../../../handlers/ledger/rebuild.post.ts'
import { assertPassesOn, fakeCtx, request, settle } from '../../fixtures/handler-kit.ts'

const rebuilt: LedgerRebuild = { rebuilt: 3, changes: [{ sku: 'BOLT-M8', before: 50, after: 47 }] }

t.test(
  'asks the worker to rebuild every balance, allowing it two minutes, and answers the changes',
  async (t) => {
    const ctx = fakeCtx({ 'ledger.rebuild': () => rebuilt })
    const { status, body } = await settle(await handler(request('POST', '/ledger/rebuild'), ctx))
    t.equal(status, 200)
    t.strictSame(body, rebuilt)
    t.strictSame(ctx.sent, [{ op: 'ledger.rebuild', payload: {}, options: { timeoutMs: 120_000 } }])
  }
)

t.test('passes on a worker that is busy', (t) =>
  assertPassesOn(t, handler, request('POST', '/ledger/rebuild'), 'ledger.rebuild', {
    status: 503,
    code: 'DB_BUSY',
    message: 'The database is busy; retry shortly',
  })
)
