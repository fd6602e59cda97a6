import type {
  NetworkAnswer,
  Provenance,
  SkuAcross,
  WarehouseFigure,
  WarehouseStatus,
} from '../../api/network-stock.ts'
import type { WarehouseOutcome } from './fan-out.ts'
import type { StockAnswer } from './messages.ts'

/**
 * A figure as a warehouse tells it, or as a replica knows it (its item possibly never described,
 * the warehouse's own view of its transfers unknown).
 */
type Figure = Omit<StockAnswer['figures'][number], 'name' | 'unit' | 'inTransit'> & {
  name: string | null
  unit: string | null
  inTransit: number | null
}

/** This node's replica of a warehouse's ledger, as its projection answers for the SKUs asked. */
export interface ReplicaFigures {
  nodeId: string
  /** The warehouse's name as the replica knows it (said for one that is no longer a member). */
  name: string
  ledger: { seq: number; hash: string }
  /** When the replica was last caught up with the warehouse, on this node's clock; null: never. */
  asOf: string | null
  /** How far the warehouse's known head is ahead of the replica; null when not known. */
  rowsBehind: number | null
  /** Something a reader must know about the replica (it broke at some row, and why). */
  warning: string | null
  /**
   * It broke because the warehouse's ledger parted from it (forked): the warehouse's live figures
   * come from another history than the one this node followed. Any other break is this node's.
   */
  forked?: boolean
  figures: Figure[]
}

/** Everything gathered for one answer: this node's own read, the peers', the replicas. */
export interface Gathered {
  self: WarehouseOutcome
  peers: WarehouseOutcome[]
  replicas: ReplicaFigures[]
  /** Date.now() when the answer is made (ages are measured to it). */
  now: number
  deadlineMs: number
  tookMs: number
}

interface Sourced {
  status: WarehouseStatus
  figures: Figure[]
}

/** Where one warehouse's figures come from: its answer, else this node's replica, else none. */
function source(outcome: WarehouseOutcome, self: boolean, g: Gathered): Sourced {
  const node = { ...outcome.member, self }
  if ('answer' in outcome) {
    const { answer } = outcome
    const live: Provenance = {
      source: 'live',
      reason: null,
      ledger: answer.ledger,
      asOf: answer.at,
      ageMs: 0,
      rowsBehind: 0,
    }
    const held = g.replicas.find((r) => r.nodeId === outcome.member.id)
    const parted = !self && held?.forked && held.warning
    const disputed =
      [answer.halted && `its writes are halted: ${answer.halted}`, parted]
        .filter(Boolean)
        .join('; ') || null
    const status = { node, ...live, detail: null, truncated: answer.truncated, disputed }
    return { status, figures: answer.figures }
  }
  const { reason, detail } = outcome
  const replica = g.replicas.find((r) => r.nodeId === outcome.member.id)
  if (!replica) {
    const none: Provenance = {
      source: 'none',
      reason,
      ledger: null,
      asOf: null,
      ageMs: null,
      rowsBehind: null,
    }
    return { status: { node, ...none, detail, truncated: false, disputed: null }, figures: [] }
  }
  const fromReplica: Provenance = {
    source: 'replica',
    reason,
    ledger: replica.ledger,
    asOf: replica.asOf,
    ageMs: replica.asOf === null ? null : Math.max(0, g.now - Date.parse(replica.asOf)),
    rowsBehind: replica.rowsBehind,
  }
  return {
    // A broken replica's figures are the ledger as it was when it stopped: say so beside them.
    status: { node, ...fromReplica, detail, truncated: false, disputed: replica.warning },
    figures: replica.figures,
  }
}

/** Totals per unit; one total only when every figure counts the same unit. */
function totals(figures: WarehouseFigure[]): Pick<SkuAcross, 'total' | 'byUnit' | 'unitsDiffer'> {
  const byUnit = new Map<string | null, SkuAcross['byUnit'][number]>()
  for (const f of figures) {
    const sum = byUnit.get(f.unit) ?? {
      unit: f.unit,
      onHand: 0,
      liveOnHand: 0,
      inTransit: 0,
      onHandPlusInTransit: 0,
      warehouses: 0,
    }
    sum.onHand += f.onHand
    if (f.source === 'live') sum.liveOnHand += f.onHand
    // What one sent and the other received is counted once: on the road until received.
    sum.inTransit += f.sent - f.received
    sum.onHandPlusInTransit = sum.onHand + sum.inTransit
    sum.warehouses += 1
    byUnit.set(f.unit, sum)
  }
  const units = [...byUnit.values()].sort((a, b) => (a.unit ?? '').localeCompare(b.unit ?? ''))
  const [only] = units
  const total =
    units.length === 1
      ? {
          onHand: only.onHand,
          liveOnHand: only.liveOnHand,
          inTransit: only.inTransit,
          onHandPlusInTransit: only.onHandPlusInTransit,
          unit: only.unit,
        }
      : { onHand: null, liveOnHand: null, inTransit: null, onHandPlusInTransit: null, unit: null }
  return { total, byUnit: units, unitsDiffer: units.length > 1 }
}

/**
 * What composing and sending an answer costs per figure in it, ms: 8 µs, about twice what
 * composeStock and the JSON of its answer took here (2 cores: 4.1-6.7 µs over five runs of 20
 * warehouses × 5,000 SKUs, 26 MB of JSON; scratch zz-compose.ts).
 */
export const MS_PER_FIGURE = 0.008

/**
 * What of a deadline is kept to compose and send the answer in, ms: 20, and more on a machine so
 * busy that this node's timers fire late (twice their recent 99th percentile, `lateMs`), as the
 * answer itself then leaves late — that part never more than a tenth of the deadline; and
 * MS_PER_FIGURE for each of the `figures` the answer is expected to hold (20 warehouses of 5,000
 * SKUs took 400-650 ms to compose and write, past a 2 s deadline whose 20 ms were kept for it),
 * up to half the deadline. The rest is for asking.
 */
export function answerReserveMs(deadlineMs: number, lateMs: number, figures = 0): number {
  const wanted = Math.min(20 + Math.ceil(2 * Math.max(0, lateMs)), Math.floor(deadlineMs / 10))
  const composing = Math.ceil(Math.max(0, figures) * MS_PER_FIGURE)
  return Math.max(wanted, Math.min(wanted + composing, Math.floor(deadlineMs / 2)))
}

/**
 * The company-wide answer from what was gathered: each warehouse labelled with where its figures
 * come from, each SKU across the warehouses that have it, in SKU order, with its totals.
 */
export function composeStock(g: Gathered): { answer: NetworkAnswer; stock: SkuAcross[] } {
  const byName = (a: WarehouseOutcome, b: WarehouseOutcome) =>
    a.member.name.localeCompare(b.member.name) || a.member.id.localeCompare(b.member.id)
  // A warehouse no longer a member (reaped long after it left or failed) is asked nothing, but its
  // goods are still the company's: it is answered from the replica this node keeps of its ledger,
  // as a member that left is, rather than dropped from the totals without a word.
  const asked = new Set([g.self, ...g.peers].map((o) => o.member.id))
  const reaped = g.replicas
    .filter((r) => !asked.has(r.nodeId))
    .map((r): WarehouseOutcome => ({
      member: { id: r.nodeId, name: r.name || r.nodeId },
      reason: 'reaped',
      detail: 'no longer a member: forgotten long after it left or failed',
    }))
  const sourced = [
    source(g.self, true, g),
    ...[...g.peers, ...reaped].sort(byName).map((outcome) => source(outcome, false, g)),
  ]
  const skus = new Map<string, { name: string | null; figures: WarehouseFigure[] }>()
  for (const { status, figures } of sourced) {
    const {
      node,
      detail: _detail,
      truncated: _truncated,
      disputed: _disputed,
      ...provenance
    } = status
    for (const f of figures) {
      const entry = skus.get(f.sku) ?? { name: f.name, figures: [] }
      entry.name ??= f.name
      const { onHand, inTransit, sent, received, unit, reorderPoint } = f
      const low = reorderPoint !== null && onHand <= reorderPoint
      const who = { id: node.id, name: node.name }
      const counts = { onHand, inTransit, sent, received }
      entry.figures.push({ node: who, ...provenance, ...counts, unit, reorderPoint, low })
      skus.set(f.sku, entry)
    }
  }
  const stock = [...skus.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, { name, figures }]) => ({ sku, name, figures, ...totals(figures) }))
  const warehouses = sourced.map((s) => s.status)
  const count = (source: string) => warehouses.filter((w) => w.source === source).length
  const counts = {
    total: warehouses.length,
    live: count('live'),
    replica: count('replica'),
    missing: count('none'),
  }
  // Complete: every member answered live, and no figure is cut short or disputed. One no longer
  // a member is not one missing (a warehouse closed for good would otherwise leave every answer
  // incomplete), but its replica, broken, still disputes its figures in the totals.
  const members = warehouses.filter((w) => w.reason !== 'reaped')
  const answer: NetworkAnswer = {
    warehouses,
    counts,
    complete:
      members.every((w) => w.source === 'live') &&
      warehouses.every((w) => !w.truncated && !w.disputed),
    timedOut: warehouses.some((w) => w.reason === 'timed_out'),
    deadlineMs: g.deadlineMs,
    tookMs: g.tookMs,
  }
  return { answer, stock }
}
