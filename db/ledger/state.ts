// What the worker holds in memory about its ledger, beside the database: the verify job in
// progress, the last finished verify (a rebuild builds on it), and the halt the check at start
// may have set. A restarted worker forgets all three, which is safe: a job is started over, a
// rebuild verifies for itself, and the check at start runs again.
import type { Knex } from 'knex'
import type * as C from '../contract/index.ts'
import type { LedgerVerifier } from './verifier.ts'

/** The node_settings key of a witness's halt, kept until an acceptance or a restore lifts it. */
export const WITNESS_HALT = 'witness_halt'

/**
 * The node_settings key of the witnesses' disagreements an admin has accepted (each the witness,
 * what it held, where it parted, and the acceptance): met again at a start, they halt nothing.
 */
export const ACCEPTED_WITNESSES = 'accepted_witnesses'

/**
 * The node_settings key where a backup says what it is (db/backups/ops.ts): read when it is
 * listed, and when a node starts on it to catch up its own tail (restore.ts).
 */
export const BACKUP_STAMP = 'backup'

/**
 * The node_settings key of the report of the restore that rebuilt this node (restore.ts): read
 * too by a transfer's detail, which says when the restore left it out of step.
 */
export const RESTORE_REPORT = 'restore_report'

export interface VerifyJob {
  id: string
  verifier: LedgerVerifier
  /** Every row up to this seq has been read. */
  through: number
  /** Where this pass ends: the head seen at start, then the head of each catch-up. */
  target: number
  /** Catch-ups run after the head seen at start, while writes kept coming. */
  catchUps: number
  startedAt: string
  /** performance.now() of the last step: a job left idle long enough is dropped. */
  lastStepAt: number
}

/** What a restore begun and not finished leaves, and how to finish it. */
export const unfinishedRestore = (nodeId: string) =>
  `a restore of node ${nodeId} was begun and not finished: start the node again with --join naming a peer (it goes on with it) to finish it`

export interface LedgerState {
  halt: C.LedgerHalt | null
  job: VerifyJob | null
  /** The last finished verify, its state as of `at` (Date.now()). */
  verified: { at: number; verifier: LedgerVerifier } | null
  /**
   * The node a restore begun here and not finished is of: the log here is a part of that node's,
   * neither this node's own to write on nor to serve as its own (db/ledger/restore.ts).
   */
  restoring: string | null
}

// Per database handle, not per process: tests open several databases in one process. A
// transaction's client shares its root's `config` object, so any handle onto one database finds it.
const states = new WeakMap<object, LedgerState>()

export function ledgerState(db: Knex): LedgerState {
  const key = db.client.config as object
  let state = states.get(key)
  if (!state) states.set(key, (state = { halt: null, job: null, verified: null, restoring: null }))
  return state
}

interface Transactor {
  parentTransaction?: Transactor
  executionPromise?: Promise<unknown>
}

/**
 * Runs `fn` once the outermost transaction around `db` has committed (at once outside one), so
 * that memory never runs ahead of the database: a batch that fails to commit leaves no trace.
 */
export function afterCommit(db: Knex, fn: () => void): void {
  whenEnded(db, fn, () => undefined)
}

/** As afterCommit, but whether the transaction commits or rolls back. */
export function afterTransaction(db: Knex, fn: () => void): void {
  whenEnded(db, fn, fn)
}

/** Once the outermost transaction around `db` ends: `committed` or `rolledBack` (at once, none). */
function whenEnded(db: Knex, committed: () => void, rolledBack: () => void): void {
  let top = db as unknown as Transactor
  while (top.parentTransaction) top = top.parentTransaction
  if (top.executionPromise) top.executionPromise.then(committed, rolledBack)
  else committed()
}

/** Whether writes are halted and why, and the verify job in progress, as the node holds them. */
export function ledgerStatus(db: Knex): C.LedgerStatus {
  const { halt, job } = ledgerState(db)
  return {
    writes: halt ? 'refused' : 'accepted',
    halt,
    verify: job && {
      job: job.id,
      checked: job.verifier.checked,
      of: job.target,
      startedAt: job.startedAt,
    },
  }
}
