// Drives a verify job in the worker, one envelope per step, so that every other request gets the
// worker between two steps (db/ledger/jobs.ts). The worker runs one job at a time; here, a verify
// asked for while one is still stepping joins it and gets its result, which covers every row
// committed before the join (the finish comes later). One that arrives while a job is finishing
// waits for it and starts its own: that finish may have read the ledger before the request came.
import type { LedgerCheck } from '../../db/contract.ts'
import { HttpError, type Ctx } from '../../runtime/index.ts'

interface Driving {
  joinable: boolean
  result: Promise<LedgerCheck>
}

/** The job each node's handlers are driving, by node id (tests run several nodes in a process). */
const driving = new Map<string, Driving>()

async function drive(ctx: Ctx, entry: Driving): Promise<LedgerCheck> {
  const started = performance.now()
  let job: string | undefined
  let steps = 0
  try {
    let progress = await ctx.db.send('ledger.verifyStart', {})
    job = progress.job
    for (steps = 1; !progress.ready; steps++) {
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
  entry.joinable = true
  try {
    return await drive(ctx, entry) // started over, once
  } catch (err) {
    if (!lost(err)) throw err
    throw new HttpError(
      503,
      'DB_UNAVAILABLE',
      'The database worker restarted twice during the verify; nothing was changed, run it again',
      undefined,
      { 'retry-after': '1' }
    )
  }
}

/** Verifies the whole ledger without stopping the node, joining a verify already under way. */
export async function verifyLedger(ctx: Ctx): Promise<LedgerCheck> {
  const node = ctx.node.id
  for (let current = driving.get(node); current; current = driving.get(node)) {
    if (current.joinable) return current.result
    await current.result.catch(() => undefined)
  }
  const entry: Driving = { joinable: true, result: Promise.resolve(null as never) }
  entry.result = driveOnce(ctx, entry).finally(() => {
    if (driving.get(node) === entry) driving.delete(node)
  })
  driving.set(node, entry)
  return entry.result
}
