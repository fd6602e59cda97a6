import t from 'tap'
import { verifyLedger } from '../../../client/commands/verify.ts'
import type { Api } from '../../../client/api.ts'
import { almacen, closedPort, seed, session } from '../../fixtures/client-kit.ts'
import { startTestNode } from '../../fixtures/test-node.ts'

t.test('Verify the ledger reports a sound ledger in one sentence', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt', onHand: 3 }])
  const s = session(node.url, [])
  await verifyLedger(s.io)
  t.match(
    s.output(),
    '✔ The ledger checks out: 1 movement and 1 balance agree, and the hash chain is unbroken (last entry #1).'
  )
})

t.test(
  'a ledger that does not check out is listed problem by problem, with what to do',
  async (t) => {
    // A broken ledger cannot be made through the API, so the node's answer is faked.
    const s = session('http://127.0.0.1:9', [])
    const broken = {
      ok: false,
      differences: [
        {
          kind: 'balance',
          sku: 'BOLT-M8',
          expected: 3,
          actual: 5,
          message: 'balance 5, ledger says 3',
        },
        { kind: 'hash', seq: 2, message: 'row 2 does not match its hash' },
      ],
      checked: { movements: 2, balances: 1 },
      head: { seq: 2, hash: 'abc' },
    }
    s.io.api = { post: async () => broken } as unknown as Api
    await verifyLedger(s.io)
    t.match(s.output(), '✖ The ledger does NOT check out: 2 problems found.')
    t.match(s.output(), /^balance +BOLT-M8 +balance 5, ledger says 3$/m)
    t.match(s.output(), /^hash +2 +row 2 does not match its hash$/m)
    t.match(s.output(), 'call IT')
  }
)

t.test(
  'a verify that reaches no node offers no --key: it changes nothing to apply twice',
  async (t) => {
    const run = await almacen(['verify', '--url', await closedPort(), '--timeout', '1'])
    t.equal(run.code, 3)
    t.match(run.stderr, /Cannot reach the almacen node/)
    t.notMatch(run.stderr, /--key|outcome is unknown/)
  }
)

t.test('a witness disagreement an admin accepted is said, with when and why', async (t) => {
  const s = session('http://127.0.0.1:9', [])
  const answer = {
    ok: true,
    differences: [],
    checked: { movements: 52, balances: 4 },
    head: { seq: 52, hash: 'abc' },
    witnesses: {
      available: true,
      summary: '1 of 1 witnesses disagree',
      witnesses: [
        {
          peer: { id: 'n-2', name: 'Valencia' },
          holds: { seq: 52, hash: 'def' },
          caughtUpAt: null,
          verdict: 'differs',
          differsFrom: 46,
          message: "Valencia's copy and this ledger part at row 46",
          accepted: { acceptedAt: '2026-12-04T10:07:31.000Z', reason: 'rows lost with the disk' },
        },
      ],
    },
  }
  s.io.api = { post: async () => answer } as unknown as Api
  await verifyLedger(s.io)
  t.match(
    s.output(),
    "  Valencia's copy and this ledger part at row 46: accepted on 2026-12-04 10:07 (rows lost with the disk).\n✔ The ledger checks out"
  )
})
