// The running state of a verify: the rows are put through the checks of verify.ts in seq order,
// kept apart from how rows are read (rows.ts) and from who drives it (a job of steps, or one pass).
import type * as C from '../contract/index.ts'
import { EMPTY_LEDGER, type LedgerHead } from './hash.ts'
import {
  checkBalances,
  checkHead,
  ROW_CHECKS,
  type BalanceRow,
  type VerifiedRow,
} from './verify.ts'

/** Enough differences to act on; the count of all of them is still reported. */
const MAX_DIFFERENCES = 1000

/** Differences that break the hash chain itself: a rebuild cannot fix them. */
const CHAIN_KINDS: ReadonlySet<C.LedgerDifference['kind']> = new Set([
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
    const { seq, sku } = row
    const sum = this.sums.get(sku) ?? 0
    const before = { head: this.head, sum }
    for (const { check } of ROW_CHECKS) {
      const difference = check(row, before)
      if (difference) this.note(difference)
    }
    this.sums.set(sku, sum + row.delta)
    this.lastSeqs.set(sku, seq)
    this.head = { seq, hash: row.hash }
    this.checked++
  }

  /**
   * The whole check: the rows so far, then the anchor and the balances given (read together).
   * Without balances (a replica of another node's ledger has none of its own), none are checked.
   */
  result(anchor: LedgerHead | undefined, balances: BalanceRow[] | null): C.LedgerCheck {
    const stored = balances ? checkBalances(this.sums, this.lastSeqs, balances) : []
    const end = [checkHead(this.head, anchor) ?? [], ...stored].flat()
    const room = Math.max(0, MAX_DIFFERENCES - this.found.length)
    return {
      ok: this.total + end.length === 0,
      differences: [...this.found, ...end.slice(0, room)],
      checked: { movements: this.checked, balances: balances?.length ?? 0 },
      head: this.head,
    }
  }

  /** What breaks the chain: the rows' breaks so far and the anchor's, if it disagrees. */
  chainProblems(anchor: LedgerHead | undefined): C.LedgerDifference[] {
    const atEnd = checkHead(this.head, anchor)
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

  private note(d: C.LedgerDifference): void {
    this.total++
    if (this.found.length < MAX_DIFFERENCES) this.found.push(d)
    if (CHAIN_KINDS.has(d.kind) && this.chainBreaks.length < MAX_DIFFERENCES) {
      this.chainBreaks.push(d)
    }
  }
}
