// The differences a verify can find, each decided from a few rows: how a row follows the one
// before it, how the last row stands against the head anchor, how the balances stand against the
// ledger's sums. The verifier (a whole pass), the check at start and the rebuild share them.
import type * as C from '../contract.ts'
import type { LedgerHead } from '../operations/movements.ts'

/** A ledger row as the verifier sees it: `computed` is the hash its fields give. */
export interface VerifiedRow {
  seq: number
  sku: string
  delta: number
  balanceAfter: number
  prevHash: string
  hash: string
  computed: string
}

export interface BalanceRow {
  sku: string
  onHand: number
  lastSeq: number | null
}

function range(from: number, to: number, one: string, many: string): string {
  return from === to ? `movement ${from} ${one}` : `movements ${from}…${to} ${many}`
}

/** How `row` follows `before`: no gap between them, linked to its hash, and not changed. */
export function linkDifferences(before: LedgerHead, row: VerifiedRow): C.LedgerDifference[] {
  const out: C.LedgerDifference[] = []
  const { seq } = row
  if (seq !== before.seq + 1) {
    out.push({
      kind: 'gap',
      seq,
      expected: before.seq + 1,
      actual: seq,
      message: range(before.seq + 1, seq - 1, 'is missing', 'are missing'),
    })
  }
  if (row.prevHash !== before.hash) {
    out.push({
      kind: 'chain',
      seq,
      expected: before.hash,
      actual: row.prevHash,
      message: `movement ${seq} does not link to the movement before it`,
    })
  }
  if (row.computed !== row.hash) {
    out.push({
      kind: 'hash',
      seq,
      sku: row.sku,
      expected: row.computed,
      actual: row.hash,
      message: `movement ${seq} was changed after it was written`,
    })
  }
  return out
}

/** The last row against the head anchor, which remembers how far the ledger went. */
export function anchorDifference(
  last: LedgerHead,
  anchor: LedgerHead | undefined
): C.LedgerDifference | null {
  if (!anchor) return { kind: 'head', message: 'the ledger head anchor is missing' }
  const found = { expected: anchor.seq, actual: last.seq }
  if (anchor.seq > last.seq) {
    const message = range(last.seq + 1, anchor.seq, 'was removed', 'were removed')
    return { kind: 'head', seq: anchor.seq, ...found, message: `${message} from the end` }
  }
  if (anchor.seq < last.seq) {
    return {
      kind: 'head',
      seq: last.seq,
      ...found,
      message: `the head anchor records movement ${anchor.seq}, but the ledger goes on to ${last.seq}`,
    }
  }
  if (anchor.hash === last.hash) return null
  return {
    kind: 'head',
    seq: last.seq,
    expected: anchor.hash,
    actual: last.hash,
    message: `movement ${last.seq} is not the one the head anchor recorded`,
  }
}

/** Every stored balance against the ledger's sums and last movements, and the sums without one. */
export function balanceDifferences(
  sums: ReadonlyMap<string, number>,
  lastSeqs: ReadonlyMap<string, number>,
  balances: BalanceRow[]
): C.LedgerDifference[] {
  const out: C.LedgerDifference[] = []
  const seen = new Set<string>()
  for (const { sku, onHand, lastSeq } of balances) {
    seen.add(sku)
    const expected = sums.get(sku) ?? 0
    if (onHand !== expected) {
      const message = `${sku} shows ${onHand} on hand, the ledger sums to ${expected}`
      out.push({ kind: 'balance', sku, expected, actual: onHand, message })
    }
    // Catches a lost last movement even when it did not change the sum (a count that matched).
    const last = lastSeqs.get(sku) ?? null
    if (lastSeq !== last) {
      const message = `${sku} records movement ${lastSeq} as its last, the ledger's last is ${last}`
      out.push({ kind: 'balance', sku, expected: last, actual: lastSeq, message })
    }
  }
  for (const [sku, expected] of sums) {
    if (seen.has(sku)) continue
    const message = `${sku} has movements but no balance`
    out.push({ kind: 'balance', sku, expected, actual: null, message })
  }
  return out
}
