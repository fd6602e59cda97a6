import type { Knex } from 'knex'
import {
  PROTOCOL_VERSION,
  WRITE_OPS,
  type ReplyEnvelope,
  type RequestEnvelope,
  type WireError,
} from './contract/index.ts'
import { failpoint, failpointsArmed } from '../lib/failpoint.ts'
import {
  diskFull,
  diskFullError,
  isDiskFull,
  logDiskFull,
  noteWroteWhileFull,
} from './disk-full.ts'
import { admit, type DispatchOptions } from './dispatch.ts'
import { execute } from './execute.ts'
import { workerMetrics } from './metrics.ts'
import { TransactionLost } from './sql.ts'
import { operations } from './operations/index.ts'

type Slot = [index: number, env: RequestEnvelope]

/**
 * Executes a batch of envelopes. When any of them writes, all of them run in one transaction that
 * commits once (group commit: one fsync for the batch), and no reply is released before that
 * commit — so a 2xx always means on disk, and no read sees an uncommitted row.
 *
 * Writes run grouped (see writeRuns: publishes first, every write that posts to the ledger
 * together, then each other operation's, in the order each first arrived, each one's envelopes in
 * arrival order), and reads after the writes of their batch: every envelope of a batch was in
 * flight at once, so any order among them is one the callers could have seen, and this one lets
 * the receipts and transfers of a batch, and all its stock reads, each go to SQLite as one run — a
 * relay's settle arriving among receipts no longer cuts their run in two.
 *
 * Reads that change the worker's memory (a verify job's steps: Operation.afterCommit) run after
 * the commit instead, on what is committed: memory is not rolled back with a COMMIT that fails.
 */
export async function runBatch(
  knex: Knex,
  envelopes: unknown[],
  options: DispatchOptions
): Promise<ReplyEnvelope[]> {
  const replies: ReplyEnvelope[] = new Array(envelopes.length)
  const writes: Slot[] = []
  const reads: Slot[] = []
  /** Reads that change the worker's memory: run after the commit, on what is committed. */
  const afterwards: Slot[] = []
  const listOf = (env: RequestEnvelope) =>
    WRITE_OPS.has(env.op) ? writes : tableOf(options)[env.op].afterCommit ? afterwards : reads
  envelopes.forEach((raw, index) => {
    const admission = admit(raw, options, knex)
    if (!admission.ok) replies[index] = admission.reply
    else listOf(admission.env).push([index, admission.env])
  })
  const started = performance.now()
  let ran = started
  const runReads = async (db: Knex, slots: Slot[]) => {
    for (const run of readRuns(slots, options)) await runSlots(db, run, replies, options)
  }
  /** Reads on what is committed, outside any transaction; should that fail, each told `error`. */
  const serveReads = async (slots: Slot[], error: WireError) => {
    try {
      await runReads(knex, slots)
    } catch {
      for (const [index, env] of slots) {
        replies[index] = { v: PROTOCOL_VERSION, id: env.id, ok: false, error }
      }
    }
  }
  const runAll = async (db: Knex) => {
    const fresh = { untouched: true }
    for (const run of writeRuns(writes, options)) {
      await runSlots(db, run, replies, { ...options, fresh })
    }
    await runReads(db, reads)
    ran = performance.now()
    return replies
  }
  const metrics = workerMetrics(knex)
  if (writes.length === 0) {
    await runAll(knex)
    await runReads(knex, afterwards)
    metrics.batch('read', envelopes.length, performance.now() - started)
    return replies
  }
  // While writes fail for want of space: whether this batch puts anything on disk (a write that
  // changes nothing, a replayed key, commits on a full disk too, and says nothing of space); one
  // that does cues the probe (db/disk-probe.ts: within a second), which alone ends the flag.
  const watching = diskFull() !== null
  const changesBefore = watching ? await totalChanges(knex) : 0
  let done: number
  try {
    const committed = await knex.transaction(runAll)
    done = performance.now()
    if (watching) {
      const refused = committed.some((r) => !r.ok && r.error.code === 'DISK_FULL')
      if (!refused && (await totalChanges(knex)) > changesBefore) noteWroteWhileFull()
    }
    if (failpointsArmed()) {
      // Committed, no reply sent yet: a crash here is a write applied whose caller never heard.
      for (const [index, env] of writes) {
        if (committed[index]?.ok) failpoint(`${env.op}.after-commit`)
      }
    }
  } catch (err) {
    metrics.batchFailed()
    // A COMMIT that fails (a deferred constraint, a full disk, a lock) leaves SQLite's
    // transaction open, and knex does not roll it back: the next batch's reads would see its
    // writes, uncommitted, and answer with them. Ended here; when the transaction is gone
    // already, SQLite says there is none, which is fine.
    await knex.raw('ROLLBACK').catch(() => undefined)
    const full = isDiskFull(err instanceof TransactionLost ? err.failure : err)
    const fields = { err, size: envelopes.length }
    const said = 'batch transaction failed; nothing in it was applied'
    if (full) logDiskFull(options.log, fields, said)
    else options.log.error(fields, said)
    const error = full
      ? diskFullError()
      : {
          code: 'INTERNAL' as const,
          message: 'The transaction could not be committed; nothing was applied',
        }
    for (const [index, env] of writes) {
      replies[index] = { v: PROTOCOL_VERSION, id: env.id, ok: false, error }
    }
    // The reads again, on what is committed: a failed commit (a full disk) leaves reads served.
    await serveReads([...reads, ...afterwards], error)
    return replies
  }
  // Outside the try: whatever these reads meet, the writes before them are committed.
  await serveReads(afterwards, {
    code: 'INTERNAL',
    message: 'The database worker failed to execute the operation',
  })
  metrics.batch('write', envelopes.length, performance.now() - started, done - ran)
  return replies
}

async function runSlots(db: Knex, run: Slot[], replies: ReplyEnvelope[], options: DispatchOptions) {
  const envelopes = run.map(([, env]) => env)
  const started = performance.now()
  const out = await execute(db, envelopes, options)
  workerMetrics(db).run(
    envelopes.map((env) => env.op),
    performance.now() - started
  )
  run.forEach(([index], k) => (replies[index] = out[k]))
}

const tableOf = (options: DispatchOptions) => options.table ?? operations

function hasRunForm(env: RequestEnvelope, options: DispatchOptions): boolean {
  return tableOf(options)[env.op].run !== undefined
}

/**
 * What a write runs with: the others of its operation, or, for an operation that posts to the
 * ledger, every such write of the batch (db/execute.ts: one state, one script for all of them).
 */
function runKind(env: RequestEnvelope, options: DispatchOptions): string {
  return tableOf(options)[env.op].posting ? 'ledger' : env.op
}

/**
 * The writes cut into runs, grouped by operation (see runBatch): consecutive envelopes of one
 * operation with a run form go together (a run of receipts), and so do consecutive operations
 * that post to the ledger (a batch's receipts and transfers); a run is cut before a key already
 * in it (the second use of a key must see the first one's stored outcome); every other write is
 * a run of its own.
 */
function writeRuns(writes: Slot[], options: DispatchOptions): Slot[][] {
  // Ranked by their kind's first arrival, then their operation's: the ledger writes together.
  // Publishes come first: a receive woken by a publish is sent beside it, to take what it
  // publishes in its commit (runtime/queue-signals.ts), whatever else arrived before them.
  const kinds = new Map<string, number>()
  const ops = new Map<string, number>()
  for (const [, env] of [...writes].sort((x, y) => publishFirst(x) - publishFirst(y))) {
    const kind = runKind(env, options)
    if (!kinds.has(kind)) kinds.set(kind, kinds.size)
    if (!ops.has(env.op)) ops.set(env.op, ops.size)
  }
  const kindRank = ([, env]: Slot) => kinds.get(runKind(env, options)) as number
  const opRank = ([, env]: Slot) => ops.get(env.op) as number
  // Array.prototype.sort is stable: each operation's envelopes keep their arrival order.
  const grouped = [...writes].sort((x, y) => kindRank(x) - kindRank(y) || opRank(x) - opRank(y))
  const runs: Slot[][] = []
  let keys = new Set<string>()
  for (const slot of grouped) {
    const [, env] = slot
    const last = runs.at(-1)
    const joins =
      last !== undefined &&
      runKind(last[0][1], options) === runKind(env, options) &&
      hasRunForm(env, options) &&
      !(env.key && keys.has(env.key))
    if (!joins) {
      runs.push([slot])
      keys = new Set()
    } else last.push(slot)
    if (env.key) keys.add(env.key)
  }
  return runs
}

/** The operations that make messages visible to the receives of the same batch. */
const PUBLISHING: ReadonlySet<string> = new Set(['queues.publish', 'topics.publish'])
const publishFirst = ([, env]: Slot) => (PUBLISHING.has(env.op) ? 0 : 1)

/** The reads: all those of one operation with a run form together, every other one alone. */
function readRuns(reads: Slot[], options: DispatchOptions): Slot[][] {
  const together = new Map<string, Slot[]>()
  const alone: Slot[][] = []
  for (const slot of reads) {
    if (!hasRunForm(slot[1], options)) alone.push([slot])
    else if (together.has(slot[1].op)) together.get(slot[1].op)?.push(slot)
    else together.set(slot[1].op, [slot])
  }
  return [...together.values(), ...alone]
}

/** Rows changed on this connection since it opened (SQLite's total_changes()). */
async function totalChanges(knex: Knex): Promise<number> {
  const rows = (await knex.raw('SELECT total_changes() AS n')) as { n: number }[]
  return rows[0]?.n ?? 0
}
