// Company-wide stock: GET /network/stock/:sku and GET /network/stock. Every warehouse is asked at
// once under a deadline; each figure says where it comes from (live, a replica of that
// warehouse's ledger as of some time, or none) and why it is not live, and the flags on top say
// whether the answer is complete. Figures in different units are never added together.
import { z } from 'zod'
import { queryWhole } from './fields.ts'

export const DEFAULT_DEADLINE_MS = 2000
export const MIN_DEADLINE_MS = 50
export const MAX_DEADLINE_MS = 10_000

const deadlineMs = queryWhole(MIN_DEADLINE_MS, MAX_DEADLINE_MS, ' ms').default(DEFAULT_DEADLINE_MS)

/** GET /network/stock/:sku */
export const networkStockOneQuery = z.strictObject({ deadlineMs })

/** GET /network/stock: `low=true` keeps each warehouse's items at or below its reorder point. */
export const networkStockQuery = z.strictObject({
  low: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  deadlineMs,
})

/** `live`: asked now; `replica`: from this node's replica of its ledger; `none`: no figure. */
export type FigureSource = 'live' | 'replica' | 'none'
/**
 * Why a warehouse is not live: failed (down), left, asked and silent, or its answer refused; or no
 * longer a member (`reaped`: forgotten 24 h after it left, 72 h after it failed), answered from
 * this node's replica of its ledger.
 */
export type NotLiveReason = 'down' | 'timed_out' | 'left' | 'refused' | 'reaped'

/** Where a warehouse's figures come from, and how fresh they are. */
export interface Provenance {
  source: FigureSource
  /** Null when live. */
  reason: NotLiveReason | null
  /** Ledger position the figures are the projection of; null without figures. */
  ledger: { seq: number; hash: string } | null
  /** Live: when it was read; replica: when the replica was last caught up. */
  asOf: string | null
  /** How old the figures are (replica), 0 when live, null without figures. */
  ageMs: number | null
  /** Rows the replica is behind the warehouse's known head; null when not known. */
  rowsBehind: number | null
}

/** One warehouse in an answer: who it is, its provenance, and what happened, in words. */
export interface WarehouseStatus extends Provenance {
  node: { id: string; name: string; self: boolean }
  /** Why it is not live, for a person ("no answer within the deadline", "connection refused"). */
  detail: string | null
  /** It had more items than one answer carries: some of its figures are missing. */
  truncated: boolean
  /**
   * Why its figures may not be its ledger's true ones, though it answered: its writes are halted
   * (a check found its ledger wrong), or this node's replica of it broke on what it served. Null
   * when nothing disputes them. A disputed warehouse makes the answer incomplete.
   */
  disputed: string | null
}

/** One warehouse's figure for one SKU, with its provenance (freshness travels with the figure). */
export interface WarehouseFigure extends Provenance {
  node: { id: string; name: string }
  onHand: number
  /**
   * What this warehouse sent and has not heard settled, as it says itself; null from a replica
   * (a ledger tells what left, not what the peer has received since).
   */
  inTransit: number | null
  /** Ledger projections: transferred out (less returns and losses in transit), transferred in. */
  sent: number
  received: number
  /** Null only from a replica whose log never described the item (made before the log began). */
  unit: string | null
  reorderPoint: number | null
  low: boolean
}

/** On hand summed over the warehouses that count one unit. */
export interface UnitTotal {
  unit: string | null
  onHand: number
  /** Over live figures only. */
  liveOnHand: number
  /** Σ sent − Σ received over these figures: what is on the road between the warehouses. */
  inTransit: number
  onHandPlusInTransit: number
  warehouses: number
}

/** A SKU across the warehouses that have it. */
export interface SkuAcross {
  sku: string
  /** Null only when no warehouse that has it described the item (an old replica). */
  name: string | null
  figures: WarehouseFigure[]
  /**
   * The total when every figure has one unit; `onHand` and `unit` are null when units differ
   * (see `byUnit`): figures in different units are never added.
   */
  total: {
    onHand: number | null
    liveOnHand: number | null
    /** Σ sent − Σ received: sent by one warehouse and not yet received by another. */
    inTransit: number | null
    /** What the company holds, the goods on the road included. */
    onHandPlusInTransit: number | null
    unit: string | null
  }
  byUnit: UnitTotal[]
  unitsDiffer: boolean
}

/** What every network answer says about itself: who was asked, and how it went. */
export interface NetworkAnswer {
  warehouses: WarehouseStatus[]
  counts: { total: number; live: number; replica: number; missing: number }
  /** Every warehouse answered live (none cut its figures short, none disputed). */
  complete: boolean
  /** At least one warehouse did not answer within the deadline. */
  timedOut: boolean
  deadlineMs: number
  tookMs: number
}

/** GET /network/stock/:sku; `name` is null when no warehouse that answered has the SKU. */
export interface NetworkStockOne extends NetworkAnswer, SkuAcross {}

/** GET /network/stock */
export interface NetworkStockAll extends NetworkAnswer {
  low: boolean
  stock: SkuAcross[]
}
