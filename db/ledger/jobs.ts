// A verify as a job of small steps, so that it never stops the warehouse. The handler sends one
// envelope per step; each reads and checks rows for a few milliseconds, and whatever else waits
// for the worker runs between two steps. The job's state stays here, in the worker's memory.
//
// Rows up to the head seen at start are checked once, in steps. Writes go on meanwhile; while
// many rows have piled up behind that head, the job catches up in steps too. The finish then
// reads the last few rows appended, the head anchor and every balance in one envelope: nothing
// runs between those reads, so the balances are compared against a state that really existed.
//
// A batch runs these operations only once its writes have committed (afterCommitOperation in
// db/operations/run.ts): inside its transaction a step could take in rows that a failed COMMIT
// takes back, and nothing would take them out of the job again.
import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import type * as C from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import { withSql, type Sql } from '../sql.ts'
import { checkProjections } from './projections.ts'
import { lastSeq, readAnchor, readBalances, readRows } from './rows.ts'
import { afterCommit, ledgerState, type VerifyJob } from './state.ts'
import { LedgerVerifier } from './verifier.ts'

/** One step's share of the worker: a few milliseconds, or this many rows, whichever comes first. */
export const STEP = { ms: 2, rows: 4000 }
const UNBOUNDED = { ms: Infinity, rows: Infinity }
/** Rows per read: the granularity at which a step looks at its clock. */
const PAGE_ROWS = 200
/** Rows appended since the last step that the finish may take at once. */
const FINISH_ROWS = 2000
/** Catch-ups before the finish takes whatever is left, so a job ends under any write load. */
const MAX_CATCH_UPS = 20
/** A job whose driver has not stepped it for this long is abandoned; another may start. */
const JOB_IDLE_MS = 15_000
const END = Number.MAX_SAFE_INTEGER

/** Checks the rows after seq `through` up to seq `upTo` within `budget`; returns the new `through`. */
export async function scan(
  sql: Sql,
  verifier: LedgerVerifier,
  through: number,
  upTo: number,
  budget = UNBOUNDED
): Promise<number> {
  const started = performance.now()
  let rows = 0
  while (through < upTo && rows < budget.rows && performance.now() - started < budget.ms) {
    const limit = Math.min(PAGE_ROWS, budget.rows - rows)
    const page = await readRows(sql, through, upTo, limit)
    for (const row of page) verifier.add(row)
    rows += page.length
    through = page.length < limit ? upTo : page[page.length - 1].seq
  }
  return through
}

/** The rows left, then the anchor and every balance, read together: the whole check. */
export async function conclude(db: Knex, sql: Sql, verifier: LedgerVerifier, through: number) {
  await scan(sql, verifier, through, END)
  const result = withProjections(
    verifier.result(await readAnchor(sql), await readBalances(sql)),
    await checkProjections(sql)
  )
  const state = ledgerState(db)
  afterCommit(db, () => (state.verified = { at: Date.now(), verifier }))
  return result
}

/** A verify's result with the projections' differences (sent, received) added. */
export function withProjections(result: C.LedgerCheck, found: C.LedgerDifference[]) {
  if (found.length === 0) return result
  return { ...result, ok: false, differences: [...result.differences, ...found] }
}

function progressOf(job: VerifyJob, ready: boolean): C.VerifyProgress {
  const ms = Math.round((performance.now() - job.lastStepAt) * 100) / 100
  return { job: job.id, checked: job.verifier.checked, of: job.target, ready, ms }
}

async function step(sql: Sql, job: VerifyJob): Promise<C.VerifyProgress> {
  job.lastStepAt = performance.now()
  job.through = await scan(sql, job.verifier, job.through, job.target, STEP)
  if (job.through < job.target) return progressOf(job, false)
  const end = await lastSeq(sql)
  if (end - job.through <= FINISH_ROWS || job.catchUps >= MAX_CATCH_UPS) {
    return progressOf(job, true)
  }
  job.target = end
  job.catchUps++
  return progressOf(job, false)
}

function jobOf(db: Knex, id: string): VerifyJob {
  const { job } = ledgerState(db)
  if (job?.id === id) return job
  throw new DomainError(
    'NOT_FOUND',
    `No verify job ${id} is running (the database worker may have restarted since it began)`
  )
}

/** Starts a job (one at a time) and takes its first step. */
export async function verifyStart(db: Knex): Promise<C.VerifyProgress> {
  const state = ledgerState(db)
  const running = state.job
  if (running && performance.now() - running.lastStepAt < JOB_IDLE_MS) {
    const { checked } = running.verifier
    throw new DomainError(
      'VERIFY_BUSY',
      `A verify of the ledger is already running (${checked} of ${running.target} movements checked); retry when it finishes`,
      { checked, of: running.target }
    )
  }
  return withSql(db, async (sql) => {
    const job: VerifyJob = {
      id: randomUUID(),
      verifier: new LedgerVerifier(),
      through: 0,
      target: await lastSeq(sql),
      catchUps: 0,
      startedAt: new Date().toISOString(),
      lastStepAt: performance.now(),
    }
    state.job = job
    return step(sql, job)
  })
}

export async function verifyStep(db: Knex, { job }: { job: string }) {
  const found = jobOf(db, job)
  return withSql(db, (sql) => step(sql, found))
}

export async function verifyFinish(db: Knex, { job }: { job: string }): Promise<C.LedgerCheck> {
  const found = jobOf(db, job)
  ledgerState(db).job = null
  return withSql(db, (sql) => conclude(db, sql, found.verifier, found.through))
}

export async function verifyCancel(db: Knex, { job }: { job: string }) {
  const state = ledgerState(db)
  const cancelled = state.job?.id === job
  if (cancelled) state.job = null
  return { cancelled }
}
