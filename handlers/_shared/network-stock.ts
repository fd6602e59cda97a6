import type { NotLiveReason } from '../../api/index.ts'
import type { Replica, ReplicaStock } from '../../db/contract/index.ts'
import {
  answerReserveMs,
  composeStock,
  Cutoff,
  MAX_FIGURES,
  type Ctx,
  type ReplicaFigures,
  type WarehouseOutcome,
} from '../../runtime/index.ts'

type Ask = { skus: string[]; low?: true } | { all: true; low?: true }

/**
 * Why this warehouse's writes are halted (its ledger failed a check), for a network answer: its
 * figures are what it holds, not what its ledger should say. Null when it writes; null too when
 * the worker cannot say (the figures are read, or refused, on their own).
 */
export async function haltedHere(
  ctx: Ctx,
  options?: { timeoutMs: number }
): Promise<string | null> {
  const status = await ctx.db.send('ledger.status', {}, options).catch(() => null)
  return status?.halt ? status.halt.problems.join('; ').slice(0, 4000) : null
}

/** Why this node's own figures are missing: its worker too slow, down, or refusing. */
function ownReason(err: { code?: string }): NotLiveReason {
  if (err.code === 'DB_TIMEOUT' || err.code === 'EXPIRED') return 'timed_out'
  return err.code === 'DB_UNAVAILABLE' ? 'down' : 'refused'
}

/** This node's replicas as figures: those that hold anything, how far behind their owner's head. */
function replicaFigures(
  stock: ReplicaStock[],
  replicas: Replica[],
  known: Ctx['replication']
): ReplicaFigures[] {
  // The furthest head heard of: the owner's last page (stored), or its gossip since (in memory).
  const heads = new Map(replicas.map((r) => [r.nodeId, r.head.ledger.seq]))
  for (const peer of known.peers()) {
    const seq = peer.knownHead?.ledger.seq
    if (seq !== undefined && seq > (heads.get(peer.nodeId) ?? -1)) heads.set(peer.nodeId, seq)
  }
  return stock
    .filter((r) => r.state !== 'never_synced')
    .map((r) => {
      const head = heads.get(r.nodeId)
      return {
        nodeId: r.nodeId,
        name: r.name,
        ledger: r.ledger,
        asOf: r.asOf,
        rowsBehind: head === undefined ? null : Math.max(0, head - r.ledger.seq),
        warning:
          r.state === 'broken'
            ? `this node's replica of it stopped at row ${r.ledger.seq} (${r.reason})`
            : null,
        forked: r.state === 'broken' && r.reason === 'forked',
        figures: r.stock.map(({ sku, name, unit, onHand, sent, received, reorderPoint }) => ({
          sku,
          name,
          unit,
          onHand,
          // The warehouse's own view of what it sent is not in its ledger: unknown here.
          inTransit: null,
          sent,
          received,
          reorderPoint,
        })),
      }
    })
}

/**
 * Asks this warehouse (its database), every other member (ctx.peers) and this node's replicas of
 * them, all at once and each bounded by the deadline, and composes the company-wide answer: a
 * warehouse that does not answer live, or is no longer a member, is answered from its replica,
 * labelled. Never waits past `deadlineMs`.
 */
export async function gatherStock(ctx: Ctx, ask: Ask, deadlineMs: number) {
  const started = performance.now()
  // What is gathered by then is composed and sent within the rest: a few ms, more on a machine so
  // busy that this node's timers fire late, and more for a large answer (the cut-off below).
  const lateMs = ctx.timersLateMs()
  const budgetMs = deadlineMs - answerReserveMs(deadlineMs, lateMs)
  const member = { id: ctx.node.id, name: ctx.node.name }
  const skus = 'skus' in ask ? ask.skus : undefined
  const bounded = { timeoutMs: budgetMs }
  const own = Promise.all([
    ctx.db.send('stock.figures', { skus, low: ask.low, limit: MAX_FIGURES }, bounded),
    haltedHere(ctx, bounded),
  ]).then(
    ([read, halted]): WarehouseOutcome => ({
      member,
      answer: { node: member, at: new Date().toISOString(), ...read, halted },
    }),
    (err): WarehouseOutcome => ({ member, reason: ownReason(err), detail: err.message })
  )
  // Read at once, beside the question (hedged): no second round after a peer fails to answer.
  // Without replicas (a worker that cannot say) the answer stands on the live figures alone.
  const replicas = Promise.all([
    ctx.db.send('replicas.stock', { skus, low: ask.low === true }, bounded),
    ctx.db.send('replicas.list', {}, bounded),
  ]).then(
    ([stock, list]) => replicaFigures(stock.replicas, list.replicas, ctx.replication),
    (err) => (ctx.log.warn({ err }, 'replicas unread for a network answer'), [])
  )
  // How many figures the answer will hold, known once this node's own read and its replicas are
  // (each peer answers about as many as its replica holds): a peer that has not answered by then
  // is cut off sooner, leaving the time to compose and send that many.
  const cutoff = new Cutoff(started, deadlineMs, lateMs)
  // (A failure of either is the answer's, below: here it only leaves the estimate as it is.)
  const ignore = () => undefined
  own.then((o) => 'answer' in o && cutoff.expect(o.answer.figures.length)).catch(ignore)
  replicas
    .then((held) => cutoff.expect(held.reduce((n, r) => n + r.figures.length, 0)))
    .catch(ignore)
  try {
    const asked = ctx.peers.stock(ask, budgetMs, cutoff.reached)
    const [self, peers, held] = await Promise.all([own, asked, replicas])
    const tookMs = Math.round(performance.now() - started)
    return composeStock({ self, peers, replicas: held, now: Date.now(), deadlineMs, tookMs })
  } finally {
    cutoff.cancel()
  }
}
