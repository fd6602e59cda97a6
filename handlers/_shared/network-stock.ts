import type { NotLiveReason } from '../../api/index.ts'
import { composeStock, MAX_FIGURES, type Ctx, type WarehouseOutcome } from '../../runtime/index.ts'

/** Why this node's own figures are missing: its worker too slow, down, or refusing. */
function ownReason(err: { code?: string }): NotLiveReason {
  if (err.code === 'DB_TIMEOUT' || err.code === 'EXPIRED') return 'timed_out'
  return err.code === 'DB_UNAVAILABLE' ? 'down' : 'refused'
}

/**
 * Asks this warehouse (its database) and every other member (ctx.peers) at once, each bounded by
 * the deadline, and composes the company-wide answer: it never waits past `deadlineMs`.
 */
export async function gatherStock(
  ctx: Ctx,
  ask: { skus: string[]; low?: true } | { all: true; low?: true },
  deadlineMs: number
) {
  const started = performance.now()
  const member = { id: ctx.node.id, name: ctx.node.name }
  const skus = 'skus' in ask ? ask.skus : undefined
  const own = ctx.db
    .send('stock.figures', { skus, low: ask.low, limit: MAX_FIGURES }, { timeoutMs: deadlineMs })
    .then(
      (read): WarehouseOutcome => ({
        member,
        answer: { node: member, at: new Date().toISOString(), ...read },
      }),
      (err): WarehouseOutcome => ({ member, reason: ownReason(err), detail: err.message })
    )
  const [self, peers] = await Promise.all([own, ctx.peers.stock(ask, deadlineMs)])
  const tookMs = Math.round(performance.now() - started)
  return composeStock({ self, peers, replicas: [], now: Date.now(), deadlineMs, tookMs })
}
