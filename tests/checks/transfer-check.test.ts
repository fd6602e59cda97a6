// The transfer checkers must catch what they exist to catch: each is shown a history that keeps
// the invariants and one that breaks each of them.
import t from 'tap'
import {
  checkConservation,
  checkExactlyOnce,
  checkReads,
  type Ledger,
  type Row,
} from '../fixtures/transfer-check.ts'

let seq = 0
const row = (type: string, sku: string, delta: number, extra: Partial<Row> = {}): Row => ({
  seq: ++seq,
  type,
  sku,
  quantity: Math.abs(delta),
  delta,
  hash: `h${seq}`,
  ...extra,
})
const renumber = (rows: Row[]): Row[] =>
  rows.map((r, i) => ({ ...r, seq: i + 1, hash: `h${i + 1}` }))

/** A sends 4 of X to B, which receives 3 and has 1 written off: settled. */
function settled(): Ledger[] {
  const a = renumber([
    row('receipt', 'X', 10),
    row('transfer_out', 'X', -4, { transferId: 't1', counterparty: 'B' }),
    row('transfer_writeoff', 'X', 0, { quantity: 1, transferId: 't1', counterparty: 'B' }),
  ])
  const b = renumber([row('transfer_in', 'X', 3, { transferId: 't1', counterparty: 'A' })])
  return [
    { node: 'A', rows: a },
    { node: 'B', rows: b },
  ]
}

t.test('a settled transfer keeps every invariant', async (t) => {
  const ledgers = settled()
  t.same(checkConservation(ledgers), [])
  const transfers = [{ id: 't1', out: { state: 'closed', lines: [{ sku: 'X', sent: 4 }] } }]
  t.same(checkExactlyOnce(ledgers, transfers, { acknowledged: ['t1'] }), [])
})

t.test('goods in transit count once: on hand plus in transit is what entered', async (t) => {
  const [a] = settled()
  const inTransit = [
    { node: 'A', rows: a.rows.slice(0, 2) },
    { node: 'B', rows: [] },
  ]
  t.same(checkConservation(inTransit), [])
})

t.test('a receipt applied twice is caught by conservation and exactly once', async (t) => {
  const [a, b] = settled()
  const twice = renumber([...b.rows, { ...b.rows[0] }])
  const ledgers = [a, { node: 'B', rows: twice }]
  t.match(checkExactlyOnce(ledgers, []), [{ kind: 'created-goods' }])
  const bad = checkConservation(ledgers, new Map([['B', new Map([['X', { onHand: 5 }]])]]))
  t.match(bad, [{ kind: 'wrong-figure' }])
})

t.test(
  'a dispatch recorded twice, a lost acknowledged transfer, a refused one applied',
  async (t) => {
    const [a, b] = settled()
    const dup = renumber([...a.rows.slice(0, 2), { ...a.rows[1] }])
    t.match(checkExactlyOnce([{ node: 'A', rows: dup }, b], []), [{ kind: 'duplicate' }])
    t.match(checkExactlyOnce([a, b], [], { acknowledged: ['t2'] }), [{ kind: 'lost' }])
    t.match(checkExactlyOnce([a, b], [], { acknowledged: [], refused: ['t1'] }), [
      { kind: 'refused-applied' },
    ])
  }
)

t.test('a closed transfer with goods unaccounted for, and a negative balance', async (t) => {
  const [a] = settled()
  const open = [
    { node: 'A', rows: a.rows.slice(0, 2) },
    { node: 'B', rows: [] },
  ]
  const closed = [{ id: 't1', out: { state: 'closed', lines: [{ sku: 'X', sent: 4 }] } }]
  t.match(checkExactlyOnce(open, closed), [{ kind: 'unsettled' }])
  const negative = [{ node: 'A', rows: renumber([row('issue', 'X', -1)]) }]
  t.match(checkConservation(negative), [{ kind: 'negative-value' }])
})

t.test('goods that appear from nowhere break the company total', async (t) => {
  const [a, b] = settled()
  const ghost = {
    node: 'B',
    rows: renumber([...b.rows, row('transfer_in', 'X', 2, { transferId: 't9' })]),
  }
  t.same(checkConservation([a, ghost]), [], 'in flight, a receipt may come before its dispatch')
  t.match(checkConservation([a, ghost], new Map(), { quiescent: true }), [
    { kind: 'orphan-receipt' },
    { kind: 'negative-transit' },
  ])
})

t.test('reads are judged against the ledger prefix they name', async (t) => {
  const ledgers = settled()
  const ok = { node: 'A', sku: 'X', ledger: { seq: 2, hash: 'h2' }, onHand: 6, sent: 4 }
  t.same(checkReads(ledgers, [ok]), [])
  t.match(checkReads(ledgers, [{ ...ok, onHand: 10 }]), [{ kind: 'wrong-figure' }])
  t.match(checkReads(ledgers, [{ ...ok, ledger: { seq: 2, hash: 'forked' } }]), [
    { kind: 'not-a-prefix' },
  ])
  t.match(checkReads(ledgers, [{ ...ok, node: 'Z' }]), [{ kind: 'unexpected-warehouse' }])
  const b = { node: 'B', sku: 'X', ledger: { seq: 1, hash: 'h1' }, onHand: 3, received: 3 }
  const total = { sku: 'X', onHand: 9, inTransit: 1, figures: [ok, b] }
  t.same(checkReads(ledgers, [], [total]), [])
  t.match(checkReads(ledgers, [], [{ ...total, inTransit: 4 }]), [{ kind: 'wrong-total' }])
})
