import { z } from 'zod'
import { nothing, read, write } from './descriptor.ts'

/**
 * One thing in the ledger that does not check out. `gap`, `chain`, `hash` and `head` break the
 * hash chain itself (a row missing, unlinked, changed, or removed from the end); the others are
 * balances that disagree with the rows.
 */
export interface LedgerDifference {
  kind: 'hash' | 'chain' | 'gap' | 'head' | 'balance-after' | 'balance' | 'negative'
  seq?: number
  sku?: string
  expected?: string | number | null
  actual?: string | number | null
  message: string
}

export interface LedgerCheck {
  ok: boolean
  differences: LedgerDifference[]
  checked: { movements: number; balances: number }
  head: { seq: number; hash: string }
}

export interface LedgerRebuild {
  rebuilt: number
  changes: { sku: string; before: number | null; after: number }[]
}

/** Where a verify job stands: `checked` rows of `of` so far; `ready` when one finish is left. */
export interface VerifyProgress {
  job: string
  checked: number
  of: number
  ready: boolean
  /** The worker's time on this step, in ms. */
  ms: number
}

/** Why the node refuses writes: what did not check out when it started, and since when. */
export interface LedgerHalt {
  since: string
  problems: string[]
  /** What an admin can do about it. */
  action: string
}

export interface LedgerStatus {
  /** `refused` while the ledger is halted (see `halt`). */
  writes: 'accepted' | 'refused'
  halt: LedgerHalt | null
  verify: { job: string; checked: number; of: number; startedAt: string } | null
}

/** An admin's acceptance of the ledger as it stands (POST /ledger/accept). */
export interface LedgerAcceptance {
  acceptedAt: string
  reason: string
  /** The last movement, which the head anchor now records. */
  head: { seq: number; hash: string }
  /** What the anchor recorded before. */
  anchor: { seq: number; hash: string }
  /** What did not check out (head, anchor, balances) when it was accepted. */
  problems: string[]
  /** Balances set to what the ledger, as it stands, sums to. */
  changes: LedgerRebuild['changes']
}

const job = z.strictObject({ job: z.string() })

export const ledgerOps = {
  /** The whole ledger in one operation, holding the worker throughout: for tools, not handlers. */
  'ledger.verify': read(nothing).returns<LedgerCheck>(),
  /**
   * Rewrites the balances that differ from the ledger's sums; refused (LEDGER_BROKEN) when the
   * hash chain is broken. Fast right after a verify job finished; otherwise it verifies inline.
   */
  'ledger.rebuild': write(nothing).returns<LedgerRebuild>(),
  /** A verify in small steps (one job at a time): start, step until ready, then finish. */
  'ledger.verifyStart': read(nothing).returns<VerifyProgress>(),
  'ledger.verifyStep': read(job).returns<VerifyProgress>(),
  /** Checks the rows appended since the last step and every balance, in one envelope. */
  'ledger.verifyFinish': read(job).returns<LedgerCheck>(),
  'ledger.verifyCancel': read(job).returns<{ cancelled: boolean }>(),
  /** Accepts the ledger as it stands: re-anchors its head, sets balances from it, lifts a halt. */
  'ledger.accept': write(z.strictObject({ reason: z.string() })).returns<LedgerAcceptance>(),
  /** Whether writes are halted and why, and the verify job running, if any. Answers at once. */
  'ledger.status': read(nothing).returns<LedgerStatus>(),
}
