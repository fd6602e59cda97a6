import { z } from 'zod'
import { nothing, read, write } from './descriptor.ts'

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
  /** A peer's replica disagreed: only an acceptance lifts it, never a rebuild of balances. */
  witnessed?: boolean
  /** What an admin can do about it. */
  action: string
}

export interface LedgerStatus {
  /** `refused` while the ledger is halted (see `halt`). */
  writes: 'accepted' | 'refused'
  halt: LedgerHalt | null
  verify: { job: string; checked: number; of: number; startedAt: string } | null
  /** Writes fail: the disk that holds the database is full (since the first that failed). */
  diskFull?: { since: string; message: string }
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

/** A log position as a restore follows it: the last event, and the last ledger row. */
export interface RestorePosition {
  events: number
  ledger: { seq: number; hash: string }
}

/**
 * What a restore rebuilt, from where, and what it cannot vouch for: kept in node_settings, shown
 * by GET /ledger/restore and logged. Filled by the runtime (which peers held what) and the worker
 * (what it verified).
 */
export interface RestoreReport {
  nodeId: string
  restoredTo: { seq: number; hash: string; events: number }
  /** The peer whose replica was pulled. */
  from: { id: string; name: string }
  /** Every peer asked, with the head of its replica and whether it was used or why not. */
  sources: unknown[]
  /** The peer that last saw the warehouse's feed caught up, and when (its clock). */
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
  verified: LedgerCheck['checked']
  /** Restored from replicas that broke forked: writes halt until an admin accepts (api/ledger.ts). */
  confirm?: string
  startedAt: string
  restoredAt: string
}

const job = z.strictObject({ job: z.string() })
const restoreId = z.string().min(1).max(64)
const position = z.strictObject({
  events: z.number().int().min(0),
  ledger: z.strictObject({ seq: z.number().int().min(0), hash: z.string().max(64) }),
})

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
  /**
   * Starts (or resumes) filling an empty node with the log of `nodeId`, pulled from a peer's
   * replica: refused (CONFLICT) when the node holds any movement, item or event and no restore of
   * that node is pending. Returns where the own log stands: the next page follows it.
   */
  'ledger.restoreBegin': write(z.strictObject({ nodeId: restoreId })).returns<RestorePosition>(),
  /**
   * Appends a page of the restored node's log verbatim (events, ledger rows with their hashes,
   * items), after checking that it follows the own log and that every row links and re-hashes.
   */
  'ledger.restorePage': write(
    z.strictObject({
      nodeId: restoreId,
      after: position,
      events: z
        .array(
          z.strictObject({
            seq: z.number().int().min(1),
            type: z.string().max(64),
            subject: z.string().max(200),
            data: z.unknown(),
            createdAt: z.string().max(64),
          })
        )
        .max(5000),
    })
  ).returns<RestorePosition>(),
  /**
   * Ends a restore: balances from the rows, the whole chain and every balance verified, the node
   * id taken over, the report kept. LEDGER_BROKEN (and nothing of this step kept) if the verify
   * finds anything.
   */
  'ledger.restoreFinish': write(
    z.strictObject({ nodeId: restoreId, report: z.record(z.string(), z.unknown()) })
  ).returns<RestoreReport>(),
  /**
   * Halts writes because a peer's replica of this ledger disagrees with it (the start check's
   * witnesses, asked by the runtime once peers are alive): the problems join any halt in force.
   */
  'ledger.witnessed': read(
    z.strictObject({ problems: z.array(z.string().max(2000)).min(1).max(100) })
  ).returns<LedgerStatus>(),
  /**
   * The same halt, kept on disk (node_settings) until an acceptance: a restart with no witness
   * reachable must not lift it. The runtime calls this one; `ledger.witnessed` halts in memory only.
   */
  'ledger.witnessHalt': write(
    z.strictObject({ problems: z.array(z.string().max(2000)).min(1).max(100) })
  ).returns<LedgerStatus>(),
  /** The report of the restore that made this node, or NOT_FOUND when it was never restored. */
  'ledger.restoreReport': read(nothing).returns<RestoreReport>(),
  /**
   * A witness disagrees at the start check: the same halt as `ledger.witnessHalt`, the witness
   * kept with it; unless an admin accepted that very disagreement (the witness, what it held,
   * where it parted) before: then nothing halts, and the acceptance is answered.
   */
  'ledger.witnessDiffers': write(
    z.strictObject({
      peer: z.string().max(100),
      holds: z.strictObject({ seq: z.int().min(0), hash: z.string().max(64) }),
      differsFrom: z.int().min(0).nullable(),
      problem: z.string().max(2000),
    })
  ).returns<{ accepted: { acceptedAt: string; reason: string } | null; status: LedgerStatus }>(),
  /**
   * Of the disagreements a verify met (the witness, what it held, where it parted), those an
   * admin accepted before, each with when and why; a verify reports them as accepted.
   */
  'ledger.acceptedWitnesses': read(
    z.strictObject({
      disagreements: z
        .array(
          z.strictObject({
            peer: z.string().max(100),
            holds: z.strictObject({ seq: z.int().min(0), hash: z.string().max(64) }),
            differsFrom: z.int().min(0).nullable(),
          })
        )
        .max(100),
    })
  ).returns<{ accepted: ({ acceptedAt: string; reason: string } | null)[] }>(),
  /**
   * The node whose restore was begun here and not finished (a restart resumes it), or null; and
   * whether a restore was asked here, its node perhaps not known yet.
   */
  'ledger.pendingRestore': read(nothing).returns<{ nodeId: string | null; asked: boolean }>(),
  /** A restore is asked of this node (--restore), before its peers are asked whose: kept. */
  'ledger.restoreAsked': write(nothing).returns<{ asked: true }>(),
}
