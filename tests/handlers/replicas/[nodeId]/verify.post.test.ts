import t from 'tap'
import handler from '../../../../handlers/replicas/[nodeId]/verify.post.ts'
import type { LedgerCheck } from '../../../../db/contract/index.ts'
import { fakeCtx, request } from '../../../fixtures/handler-kit.ts'

const check = (differences: LedgerCheck['differences']): LedgerCheck => ({
  ok: differences.length === 0,
  differences,
  checked: { movements: 4, balances: 2 },
  head: { seq: 4, hash: 'a'.repeat(64) },
})
const verify = (result: LedgerCheck) => {
  const ctx = fakeCtx({
    'replicas.verify': () => result,
    'replicas.break': () => ({}) as never,
  })
  const req = request('POST', '/replicas/n1/verify', { params: { nodeId: 'n1' } })
  return { ctx, answer: handler(req, ctx) }
}

t.test('a replica that checks out is reported ok, and left as it is', async (t) => {
  const { ctx, answer } = verify(check([]))
  t.same(await answer, check([]))
  t.same(
    ctx.sent.map((s) => s.op),
    ['replicas.verify']
  )
})

t.test('a row changed on this node’s disk breaks the replica, with the reason', async (t) => {
  const changed = {
    kind: 'hash' as const,
    seq: 3,
    message: 'movement 3 was changed after it was written',
  }
  const { ctx, answer } = verify(check([changed]))
  t.same(await answer, check([changed]))
  t.match(ctx.sent[1], {
    op: 'replicas.break',
    payload: { nodeId: 'n1', reason: 'chain_broken', message: /movement 3 was changed/ },
  })
})

t.test('balances alone that differ are reported, not a break', async (t) => {
  const drift = {
    kind: 'balance' as const,
    sku: 'A',
    message: 'A shows 3 on hand, the ledger sums to 4',
  }
  const { ctx, answer } = verify(check([drift]))
  t.equal(((await answer) as LedgerCheck).ok, false)
  t.equal(ctx.sent.length, 1)
})
