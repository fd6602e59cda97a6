// The verify's checks as tables over rows and a state, with no database: rows posted here stand in
// for another node's ledger read from its feed.
import t from 'tap'
import type { Movement, MovementInput } from '../../../db/contract/index.ts'
import { EMPTY_LEDGER, hashMovement } from '../../../db/ledger/hash.ts'
import { advance, post, type PostingState } from '../../../db/ledger/post.ts'
import { LedgerVerifier } from '../../../db/ledger/verifier.ts'
import {
  BALANCE_CHECKS,
  checkBalances,
  checkHead,
  checkRow,
  LINK_CHECKS,
  ROW_CHECKS,
  type VerifiedRow,
} from '../../../db/ledger/verify.ts'

const AT = '2026-12-15T10:00:00.000Z'

/** A replica's rows: five movements of two items, as their node posted them. */
function replica(): Movement[] {
  const stock = new Map([
    ['BOLT', { onHand: 0, unit: 'ea' }],
    ['NUT', { onHand: 0, unit: 'ea' }],
  ])
  const state: PostingState = { head: EMPTY_LEDGER, stock, warehouse: 'Bilbao' }
  const inputs: MovementInput[] = [
    { type: 'receipt', sku: 'BOLT', quantity: 10 },
    { type: 'receipt', sku: 'NUT', quantity: 20 },
    { type: 'issue', sku: 'BOLT', quantity: 4 },
    { type: 'adjustment', sku: 'BOLT', delta: 1 },
    { type: 'adjustment', sku: 'NUT', countedQuantity: 20 },
  ]
  return inputs.map((input) => {
    const posting = post(state, input, AT)
    if (!posting.ok) throw posting.refusal
    advance(state, posting)
    return posting.movement
  })
}

const verified = (row: Movement): VerifiedRow => ({ ...row, computed: hashMovement(row) })

function verify(rows: Movement[], anchor = { seq: 5, hash: rows.at(-1)?.hash ?? '' }) {
  const verifier = new LedgerVerifier()
  for (const row of rows) verifier.add(verified(row))
  return verifier.result(anchor, null)
}

t.test('the tables name every check, in the order differences are reported', async (t) => {
  t.same(
    ROW_CHECKS.map((c) => c.name),
    ['gap', 'chain', 'hash', 'balance-after', 'negative']
  )
  t.same(
    LINK_CHECKS.map((c) => c.name),
    ['gap', 'chain', 'hash']
  )
  t.same(
    BALANCE_CHECKS.map((c) => c.name),
    ['on hand', 'last seq']
  )
})

t.test("a replica's rows check out against its anchor, with no balances of its own", async (t) => {
  const rows = replica()
  t.same(verify(rows), {
    ok: true,
    differences: [],
    checked: { movements: 5, balances: 0 },
    head: { seq: 5, hash: rows[4].hash },
  })
})

t.test('each row check finds what it names, and only that', async (t) => {
  const rows = replica()
  const before = (i: number) => ({
    head: i === 0 ? EMPTY_LEDGER : { seq: rows[i - 1].seq, hash: rows[i - 1].hash },
    sum: rows
      .slice(0, i)
      .filter((r) => r.sku === rows[i].sku)
      .reduce((s, r) => s + r.delta, 0),
  })
  const row = verified(rows[2]) // BOLT's issue of 4, after 10 received
  t.same(checkRow(row, before(2)), [], 'a good row')
  const cases: [string, VerifiedRow, string[]][] = [
    ['a row out of place', { ...row, seq: 4 }, ['gap']],
    ['a row linked elsewhere', { ...row, prevHash: 'f'.repeat(64) }, ['chain']],
    ['a row changed', { ...row, computed: 'e'.repeat(64) }, ['hash']],
    ['a wrong running balance', { ...row, balanceAfter: 7 }, ['balance-after']],
    ['a delta below zero', { ...row, delta: -11, balanceAfter: -1 }, ['negative']],
  ]
  for (const [what, changed, kinds] of cases) {
    t.same(
      checkRow(changed, before(2)).map((d) => d.kind),
      kinds,
      what
    )
  }
  t.same(
    checkRow({ ...row, balanceAfter: 7 }, before(2), LINK_CHECKS),
    [],
    'the link checks alone look at the chain only'
  )
})

t.test('a replica missing a row, or cut short, does not check out', async (t) => {
  const rows = replica()
  t.match(verify([rows[0], rows[1], rows[3], rows[4]]), {
    ok: false,
    differences: [
      { kind: 'gap', seq: 4, message: 'movement 3 is missing' },
      { kind: 'chain', seq: 4 },
      { kind: 'balance-after', seq: 4 },
    ],
  })
  t.match(verify(rows.slice(0, 4), { seq: 5, hash: rows[4].hash }), {
    ok: false,
    differences: [{ kind: 'head', message: 'movement 5 was removed from the end' }],
  })
})

t.test('the head check says how the last row stands against the anchor', async (t) => {
  const last = { seq: 5, hash: 'a'.repeat(64) }
  t.equal(checkHead(last, last), null)
  t.match(checkHead(last, undefined), { message: 'the ledger head anchor is missing' })
  t.match(checkHead(last, { seq: 7, hash: 'b' }), {
    message: 'movements 6…7 were removed from the end',
  })
  t.match(checkHead(last, { seq: 4, hash: 'b' }), {
    message: 'the head anchor records movement 4, but the ledger goes on to 5',
  })
  t.match(checkHead(last, { seq: 5, hash: 'b' }), {
    message: 'movement 5 is not the one the head anchor recorded',
  })
})

t.test('stored balances against the sums: on hand, last seq, and none at all', async (t) => {
  const sums = new Map([
    ['BOLT', 7],
    ['NUT', 20],
    ['WASHER', 3],
  ])
  const lastSeqs = new Map([
    ['BOLT', 4],
    ['NUT', 5],
    ['WASHER', 6],
  ])
  t.same(
    checkBalances(sums, lastSeqs, [
      { sku: 'BOLT', onHand: 9, lastSeq: 3 },
      { sku: 'NUT', onHand: 20, lastSeq: 5 },
      { sku: 'IDLE', onHand: 0, lastSeq: null },
    ]).map((d) => d.message),
    [
      'BOLT shows 9 on hand, the ledger sums to 7',
      "BOLT records movement 3 as its last, the ledger's last is 4",
      'WASHER has movements but no balance',
    ]
  )
})
