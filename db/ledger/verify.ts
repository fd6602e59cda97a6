// What a verify checks, as tables of small named checks over rows and a state: each row against
// the ledger before it, the last row against the head anchor, each stored balance against the
// sums. They read nothing themselves, so the same tables can check a replica of another node's
// ledger (rows from its feed, its anchor, balances or none). The verifier (verifier.ts, a whole
// pass or a job of steps), the check at start and the rebuild apply them.
import type { LedgerDifference } from '../contract/index.ts'
import type { LedgerHead } from './hash.ts'

/** A ledger row as the checks see it: `computed` is the hash its fields give. */
export interface VerifiedRow {
  seq: number
  sku: string
  delta: number
  balanceAfter: number
  prevHash: string
  hash: string
  computed: string
}

/** The ledger before a row: its last row, and the sum of the row's item so far. */
export interface Before {
  head: LedgerHead
  sum: number
}

export interface RowCheck {
  name: string
  /** Breaks the hash chain itself (a rebuild cannot fix it), or only a balance. */
  chain: boolean
  check(row: VerifiedRow, before: Before): LedgerDifference | null
}

function range(from: number, to: number, one: string, many: string): string {
  return from === to ? `movement ${from} ${one}` : `movements ${from}…${to} ${many}`
}

/** Each row against the ledger before it, in this order. */
export const ROW_CHECKS: readonly RowCheck[] = [
  {
    name: 'gap',
    chain: true,
    check: ({ seq }, { head }) =>
      seq === head.seq + 1
        ? null
        : {
            kind: 'gap',
            seq,
            expected: head.seq + 1,
            actual: seq,
            message: range(head.seq + 1, seq - 1, 'is missing', 'are missing'),
          },
  },
  {
    name: 'chain',
    chain: true,
    check: ({ seq, prevHash }, { head }) =>
      prevHash === head.hash
        ? null
        : {
            kind: 'chain',
            seq,
            expected: head.hash,
            actual: prevHash,
            message: `movement ${seq} does not link to the movement before it`,
          },
  },
  {
    name: 'hash',
    chain: true,
    check: ({ seq, sku, hash, computed }) =>
      computed === hash
        ? null
        : {
            kind: 'hash',
            seq,
            sku,
            expected: computed,
            actual: hash,
            message: `movement ${seq} was changed after it was written`,
          },
  },
  {
    name: 'balance-after',
    chain: false,
    check: ({ seq, sku, delta, balanceAfter }, { sum }) =>
      balanceAfter === sum + delta
        ? null
        : {
            kind: 'balance-after',
            seq,
            sku,
            expected: sum + delta,
            actual: balanceAfter,
            message: `movement ${seq} records ${balanceAfter} on hand for ${sku}, the ledger sums to ${sum + delta}`,
          },
  },
  {
    name: 'negative',
    chain: false,
    check: ({ seq, sku, delta }, { sum }) =>
      sum + delta >= 0
        ? null
        : {
            kind: 'negative',
            seq,
            sku,
            actual: sum + delta,
            message: `the ledger takes ${sku} below zero at movement ${seq}`,
          },
  },
]

/** The checks of the chain alone: how a row links to the one before it. */
export const LINK_CHECKS = ROW_CHECKS.filter((check) => check.chain)

/** What `checks` find wrong with `row`, in their order. */
export function checkRow(
  row: VerifiedRow,
  before: Before,
  checks: readonly RowCheck[] = ROW_CHECKS
): LedgerDifference[] {
  const found: LedgerDifference[] = []
  for (const { check } of checks) {
    const difference = check(row, before)
    if (difference) found.push(difference)
  }
  return found
}

/** The last row against the head anchor, which remembers how far the ledger went. */
export function checkHead(
  last: LedgerHead,
  anchor: LedgerHead | undefined
): LedgerDifference | null {
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

/** A stored balance: on hand, and the last movement it records. */
export interface BalanceRow {
  sku: string
  onHand: number
  lastSeq: number | null
}

/** What the ledger says a balance should be. */
export interface Expected {
  sum: number
  lastSeq: number | null
}

export interface BalanceCheck {
  name: string
  check(balance: BalanceRow, expected: Expected): LedgerDifference | null
}

/** Each stored balance against the ledger's sum and last movement for its item. */
export const BALANCE_CHECKS: readonly BalanceCheck[] = [
  {
    name: 'on hand',
    check: ({ sku, onHand }, { sum }) =>
      onHand === sum
        ? null
        : {
            kind: 'balance',
            sku,
            expected: sum,
            actual: onHand,
            message: `${sku} shows ${onHand} on hand, the ledger sums to ${sum}`,
          },
  },
  {
    // Catches a lost last movement even when it did not change the sum (a count that matched).
    name: 'last seq',
    check: ({ sku, lastSeq }, expected) =>
      lastSeq === expected.lastSeq
        ? null
        : {
            kind: 'balance',
            sku,
            expected: expected.lastSeq,
            actual: lastSeq,
            message: `${sku} records movement ${lastSeq} as its last, the ledger's last is ${expected.lastSeq}`,
          },
  },
]

/** Every stored balance against the sums and last movements, then the sums with no balance. */
export function checkBalances(
  sums: ReadonlyMap<string, number>,
  lastSeqs: ReadonlyMap<string, number>,
  balances: readonly BalanceRow[]
): LedgerDifference[] {
  const out: LedgerDifference[] = []
  const seen = new Set<string>()
  for (const balance of balances) {
    seen.add(balance.sku)
    const expected = { sum: sums.get(balance.sku) ?? 0, lastSeq: lastSeqs.get(balance.sku) ?? null }
    for (const { check } of BALANCE_CHECKS) {
      const difference = check(balance, expected)
      if (difference) out.push(difference)
    }
  }
  for (const [sku, expected] of sums) {
    if (seen.has(sku)) continue
    const message = `${sku} has movements but no balance`
    out.push({ kind: 'balance', sku, expected, actual: null, message })
  }
  return out
}
