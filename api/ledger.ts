// Checking the ledger: POST /ledger/verify, POST /ledger/rebuild, POST /ledger/accept.
import { z } from 'zod'
import { requiredText } from './fields.ts'

/** POST /ledger/accept: why an admin accepts a ledger that did not check out. */
export const acceptInput = z.strictObject({ reason: requiredText(500) })

/**
 * One thing in the ledger that does not check out. `gap`, `chain`, `hash` and `head` break the
 * hash chain itself (a row missing, unlinked, changed, or removed from the end); the others are
 * balances that disagree with the rows.
 */
export interface LedgerDifference {
  /** `witness`: a peer's replica of this ledger disagrees with it (see `witnesses`). */
  kind: 'hash' | 'chain' | 'gap' | 'head' | 'balance-after' | 'balance' | 'negative' | 'witness'
  seq?: number
  sku?: string
  expected?: string | number | null
  actual?: string | number | null
  message: string
}

/** POST /ledger/verify: `ok` when every balance and the hash chain agree with the ledger. */
export interface LedgerCheck {
  ok: boolean
  differences: LedgerDifference[]
  checked: { movements: number; balances: number }
  head: { seq: number; hash: string }
  /** POST /ledger/verify: what the alive peers hold of this ledger, compared with it. */
  witnesses?: WitnessReport
}

/** One peer's word on this node's ledger: its replica's head, and whether it agrees. */
export interface Witness {
  peer: { id: string; name: string }
  holds: { seq: number; hash: string } | null
  caughtUpAt: string | null
  /** `silent`: down, no replica, or a replica it knows broken: no evidence either way. */
  verdict: 'agrees' | 'differs' | 'silent'
  /** For `differs`: the first seq where the chains part. */
  differsFrom: number | null
  message: string
  /**
   * For `differs`: an admin accepted this very disagreement (POST /ledger/accept, after the halt
   * it made), when and why. An accepted one fails no verify.
   */
  accepted?: { acceptedAt: string; reason: string }
}

export interface WitnessReport {
  /** False when no peer could witness: said plainly, not a failure. */
  available: boolean
  witnesses: Witness[]
  summary: string
}

/** POST /ledger/rebuild: the balances that were rewritten from the ledger's sums. */
export interface LedgerRebuild {
  rebuilt: number
  changes: { sku: string; before: number | null; after: number }[]
}

/** Why the node refuses writes: what did not check out when it started, and since when. */
export interface LedgerHalt {
  since: string
  problems: string[]
  /** A peer's replica disagreed: only an acceptance lifts it, never a rebuild of balances. */
  witnessed?: boolean
  /** What an admin can do about it. */
  action: string
}

/** The ledger's part of GET /health. */
export interface LedgerStatus {
  /** `refused` while the ledger is halted (see `halt`). */
  writes: 'accepted' | 'refused'
  halt: LedgerHalt | null
  verify: { job: string; checked: number; of: number; startedAt: string } | null
  /** Writes fail: the disk that holds the database is full (since the first that failed). */
  diskFull?: { since: string; message: string }
}

/** POST /ledger/accept: the ledger accepted as it stands. */
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

/** One peer a restore asked: what it holds of the node, and whether it was used or why not. */
export interface RestoreSource {
  peer: { id: string | null; name: string | null; address: string }
  replica: {
    state: string
    reason: string | null
    position: { events: number; ledger: { seq: number; hash: string } }
    caughtUpAt: string | null
  } | null
  used: boolean
  problem: string | null
}

/** GET /ledger/restore: what the restore that rebuilt this node restored, from whom, what may be lost. */
export interface RestoreReport {
  nodeId: string
  restoredTo: { seq: number; hash: string; events: number }
  from: { id: string; name: string }
  sources: RestoreSource[]
  lastSeenBy: { id: string; name: string; at: string } | null
  mayBeLost: string
  /**
   * The transfers rebuilt from their events, and the messages of this side's steps queued to
   * their peers again (its outbox was lost). `outOfStep`: those whose record disagrees with the
   * ledger (the replica ended inside the commit that changed it), not told again: look each up
   * at its peer and put the stock right. Absent from a report made before restores did this.
   */
  transfers?: {
    rebuilt: number
    toldAgain: number
    outOfStep: { id: string; peer: string | null; why: string }[]
  }
  verified: { movements: number; balances: number }
  /**
   * Restored from replicas that broke forked (no peer held a whole one): the ledger as it was
   * before it parted from them, which is also what an accepted rollback left behind. Writes are
   * halted until an admin, having checked which history is the warehouse's, accepts it
   * (POST /ledger/accept). Absent otherwise.
   */
  confirm?: string
  startedAt: string
  restoredAt: string
}

/** POST /ledger/restore: the node to restore, or none for the one its peers know by its name. */
export const restoreInput = z.strictObject({
  nodeId: z
    .string()
    .regex(/^[\w-]{1,64}$/, 'a node id (GET /replicas on a peer lists them)')
    .optional(),
})
