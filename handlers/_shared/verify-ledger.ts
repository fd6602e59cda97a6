// Drives a verify job in the worker, one envelope per step, so that every other request gets the
// worker between two steps (db/ledger/jobs.ts). The worker runs one job at a time; here, a verify
// asked for while one is still stepping joins it and gets its result, which covers every row
// committed before the join (the finish comes later). One that arrives while a job is finishing
// waits for it and starts its own: that finish may have read the ledger before the request came.
import { performance } from 'node:perf_hooks'
import type { LedgerCheck } from '../../api/index.ts'
import { HttpError, type Ctx } from '../../runtime/index.ts'

interface Driving {
  joinable: boolean
  result: Promise<LedgerCheck>
  /** The requests waiting on it that have not gone away. */
  waiting: number
  /** Aborted when the last of them went away: the job stops at its next step. */
  abandoned: AbortController
}

/** The job each node's handlers are driving, by node id (tests run several nodes in a process). */
const driving = new Map<string, Driving>()

// While the HTTP side is busy serving (its event loop more than half busy), a verify yields: after
// each step it waits twice the worker's time on that step, so it takes at most a third of the
// worker, and of the CPU the requests need. On an idle node it goes at full speed.
const BUSY = 0.5
const YIELD = 2

/** After a step that took `ms`: gives way to requests if they kept the event loop busy meanwhile. */
function yielder() {
  let last = performance.eventLoopUtilization()
  return async function giveWay(ms: number) {
    const now = performance.eventLoopUtilization()
    const busy = performance.eventLoopUtilization(now, last).utilization
    last = now
    if (busy > BUSY) await new Promise((resolve) => setTimeout(resolve, ms * YIELD))
  }
}

async function drive(ctx: Ctx, entry: Driving): Promise<LedgerCheck> {
  const started = performance.now()
  let job: string | undefined
  let steps = 0
  try {
    const giveWay = yielder()
    let progress = await ctx.db.send('ledger.verifyStart', {})
    job = progress.job
    for (steps = 1; !progress.ready; steps++) {
      await giveWay(progress.ms)
      if (entry.abandoned.signal.aborted) {
        ctx.log.info({ steps }, 'ledger verify stopped: every request for it went away')
        throw gone()
      }
      progress = await ctx.db.send('ledger.verifyStep', { job })
    }
    entry.joinable = false
    const result = await ctx.db.send('ledger.verifyFinish', { job })
    job = undefined
    const ms = Math.round(performance.now() - started)
    ctx.log.info(
      { ok: result.ok, movements: result.checked.movements, steps, ms },
      'ledger verified'
    )
    return result
  } finally {
    // Failed half-way: free the worker's one job slot now rather than after its idle timeout.
    if (job !== undefined) void ctx.db.send('ledger.verifyCancel', { job }).catch(() => undefined)
  }
}

/** 499 for a request that went away: nobody reads it. */
export const gone = () =>
  new HttpError('CLIENT_CLOSED', 'The request went away before the verify finished: stopped')

/** The job forgot: the worker restarted between two steps, and a new one knows nothing of it. */
function lost(err: unknown): boolean {
  return err instanceof HttpError && err.code === 'NOT_FOUND'
}

async function driveOnce(ctx: Ctx, entry: Driving): Promise<LedgerCheck> {
  try {
    return await drive(ctx, entry)
  } catch (err) {
    if (!lost(err)) throw err
  }
  // Nobody waits for it any more: not started over (the abort cannot be undone, so a request
  // joining it now would be answered 499).
  if (entry.abandoned.signal.aborted) throw gone()
  entry.joinable = true
  try {
    return await drive(ctx, entry) // started over, once
  } catch (err) {
    if (!lost(err)) throw err
    throw new HttpError(
      'DB_UNAVAILABLE',
      'The database worker restarted twice during the verify; nothing was changed, run it again',
      { headers: { 'retry-after': '1' } }
    )
  }
}

/**
 * Verifies the whole ledger without stopping the node, joining a verify already under way. When
 * every request waiting on it has gone away (`signal`: the client hung up), the job stops at its
 * next step instead of holding the worker's steps for an answer nobody reads.
 */
export async function verifyLedger(ctx: Ctx, signal?: AbortSignal): Promise<LedgerCheck> {
  const node = ctx.node.id
  for (let current = driving.get(node); current; current = driving.get(node)) {
    if (current.joinable) return waitFor(current, signal)
    await current.result.catch(() => undefined)
  }
  if (signal?.aborted) throw gone() // before a job starts that nobody would wait for
  const entry: Driving = {
    joinable: true,
    result: Promise.resolve(null as never),
    waiting: 0,
    abandoned: new AbortController(),
  }
  entry.result = driveOnce(ctx, entry).finally(() => {
    if (driving.get(node) === entry) driving.delete(node)
  })
  driving.set(node, entry)
  return waitFor(entry, signal)
}

/** `entry`'s result, for one more request that waits on it until it ends or `signal` aborts. */
async function waitFor(entry: Driving, signal?: AbortSignal): Promise<LedgerCheck> {
  if (signal?.aborted) throw gone()
  entry.waiting++
  const left = () => {
    if (--entry.waiting > 0) return
    entry.joinable = false
    entry.abandoned.abort()
  }
  signal?.addEventListener('abort', left, { once: true })
  try {
    return await entry.result
  } finally {
    signal?.removeEventListener('abort', left)
  }
}
