// What a verify checks, row by row and at the end, kept apart from how rows are read (rows.ts)
// and from who drives it (a job of steps, or one pass).
import type * as C from '../contract.ts'
import { EMPTY_LEDGER, type LedgerHead } from '../operations/movements.ts'
import {
  anchorDifference,
  balanceDifferences,
  linkDifferences,
  type BalanceRow,
  type VerifiedRow,
} from './differences.ts'

/** Enough differences to act on; the count of all of them is still reported. */
const MAX_DIFFERENCES = 1000

/** Differences that break the hash chain itself: a rebuild cannot fix them. */
export const CHAIN_KINDS: ReadonlySet<C.LedgerDifference['kind']> = new Set([
  'gap',
  'chain',
  'hash',
  'head',
])

/**
 * The running state of a verify: the last row checked, each SKU's sum and last movement, and the
 * differences found in the rows so far. Rows must be added in seq order.
 */
export class LedgerVerifier {
  head: LedgerHead = EMPTY_LEDGER
  checked = 0
  readonly sums = new Map<string, number>()
  readonly lastSeqs = new Map<string, number>()
  private readonly found: C.LedgerDifference[] = []
  private total = 0
  /** Rows that break the chain, counted apart: balance differences cannot crowd them out. */
  private readonly chainBreaks: C.LedgerDifference[] = []

  add(row: VerifiedRow): void {
    for (const d of linkDifferences(this.head, row)) this.note(d)
    const { seq, sku } = row
    const sum = (this.sums.get(sku) ?? 0) + row.delta
    this.sums.set(sku, sum)
    this.lastSeqs.set(sku, seq)
    if (row.balanceAfter !== sum) {
      this.note({
        kind: 'balance-after',
        seq,
        sku,
        expected: sum,
        actual: row.balanceAfter,
        message: `movement ${seq} records ${row.balanceAfter} on hand for ${sku}, the ledger sums to ${sum}`,
      })
    }
    if (sum < 0) {
      const message = `the ledger takes ${sku} below zero at movement ${seq}`
      this.note({ kind: 'negative', seq, sku, actual: sum, message })
    }
    this.head = { seq, hash: row.hash }
    this.checked++
  }

  /** The whole check: the rows so far, then the anchor and the balances given (read together). */
  result(anchor: LedgerHead | undefined, balances: BalanceRow[]): C.LedgerCheck {
    const end = [anchorDifference(this.head, anchor) ?? [], ...this.balances(balances)].flat()
    const room = Math.max(0, MAX_DIFFERENCES - this.found.length)
    return {
      ok: this.total + end.length === 0,
      differences: [...this.found, ...end.slice(0, room)],
      checked: { movements: this.checked, balances: balances.length },
      head: this.head,
    }
  }

  /** What breaks the chain: the rows' breaks so far and the anchor's, if it disagrees. */
  chainProblems(anchor: LedgerHead | undefined): C.LedgerDifference[] {
    const atEnd = anchorDifference(this.head, anchor)
    return atEnd ? [...this.chainBreaks, atEnd] : this.chainBreaks
  }

  /** An independent copy, to extend without touching this one. */
  clone(): LedgerVerifier {
    const copy = new LedgerVerifier()
    Object.assign(copy, this, {
      sums: new Map(this.sums),
      lastSeqs: new Map(this.lastSeqs),
      found: [...this.found],
      chainBreaks: [...this.chainBreaks],
    })
    return copy
  }

  private balances(balances: BalanceRow[]): C.LedgerDifference[] {
    return balanceDifferences(this.sums, this.lastSeqs, balances)
  }

  private note(d: C.LedgerDifference): void {
    this.total++
    if (this.found.length < MAX_DIFFERENCES) this.found.push(d)
    if (CHAIN_KINDS.has(d.kind) && this.chainBreaks.length < MAX_DIFFERENCES) {
      this.chainBreaks.push(d)
    }
  }
}
