import { z } from 'zod'
import { nothing, read, write } from './descriptor.ts'
import type { LogEvent } from './events.ts'
import type { LedgerCheck } from './ledger.ts'
import { movementFilter, type Movement } from './movements.ts'

/**
 * Where a replica stands: `never_synced` (no page yet), `catching_up` (the owner has more),
 * `live` (the owner's feed said it held everything), `broken` (a page did not check out; it stays
 * so, with its `reason`, and nothing more is applied). `stale` (the owner unreachable) is not
 * stored: the puller knows it (network/replication/).
 */
export const REPLICA_STATES = ['never_synced', 'catching_up', 'live', 'broken'] as const
export type ReplicaState = (typeof REPLICA_STATES)[number]

/** Why a replica broke: a row that does not hash or link, a fork of the owner's ledger, a gap. */
export const BROKEN_REASONS = ['chain_broken', 'forked', 'gap'] as const
export type BrokenReason = (typeof BROKEN_REASONS)[number]

/** A position in a node's log: its last event, and the last ledger row among its events. */
export interface FeedPosition {
  events: number
  ledger: { seq: number; hash: string }
}

/** This node's replica of one peer's ledger. */
export interface Replica {
  nodeId: string
  name: string
  state: ReplicaState
  reason: BrokenReason | null
  lastError: string | null
  /** The last event and ledger row held: the cursor the next page follows. */
  cursor: FeedPosition
  /** The owner's head as its last page told it. */
  head: { events: number; ledger: { seq: number } }
  /** When the owner's feed last said this replica held everything (this node's clock). */
  caughtUpAt: string | null
  createdAt: string
  updatedAt: string
}

/** A page of a node's log, from the owner or from a replica: events after a position. */
export interface FeedPage {
  events: LogEvent[]
  /** The log's head when the page was read. */
  head: FeedPosition
  /** True when the page holds everything up to the head. */
  upToDate: boolean
}

/**
 * A FeedPage as its JSON text, built in the worker from the stored rows: each event's data goes
 * out as it is stored, never parsed, and the feed routes send the text as they get it.
 */
export interface FeedPageText {
  /**
   * The page (a FeedPage) as JSON: a string where the worker writes it, its bytes once it has
   * reached the runtime (it travels as a FramedText, envelope.ts).
   */
  text: string | Uint8Array
  /** How many events it holds. */
  events: number
}

/** What replicas.stock tells of one SKU in one replica. */
export interface ReplicaStockLine {
  sku: string
  /** From the owner's catalogue (replica_items); null for an item the log never described. */
  name: string | null
  unit: string | null
  reorderPoint: number | null
  onHand: number
  /** The owner's projections of its transfers (db/ledger/kinds.ts): sent out, received in. */
  sent: number
  received: number
  low: boolean
  /** The owner's last ledger row that moved it (null: none yet). */
  lastSeq: number | null
}

/** One replica's figures, with how far it goes and since when it is known complete. */
export interface ReplicaStock {
  nodeId: string
  name: string
  state: ReplicaState
  reason: BrokenReason | null
  /** The owner's last ledger row held. */
  ledger: { seq: number; hash: string }
  /** The owner's last event held. */
  events: number
  /** When this node last saw the owner's feed caught up (its own clock); null: never. */
  asOf: string | null
  stock: ReplicaStockLine[]
}

const nodeId = z.string().min(1).max(64)
const hash = z.string().max(64)
export const feedPosition = z.strictObject({
  events: z.number().int().min(0),
  ledger: z.strictObject({ seq: z.number().int().min(0), hash }),
})
const logEvent = z.strictObject({
  seq: z.number().int().min(1),
  type: z.string().max(64),
  subject: z.string().max(200),
  data: z.unknown(),
  createdAt: z.string().max(64),
})
const page = {
  after: feedPosition,
  limit: z.number().int().min(1).max(5000),
  /** The page is cut once its events' data pass this many bytes (one event at least). */
  maxBytes: z.number().int().min(1),
}
const seqs = z.array(z.number().int().min(1)).max(1000)
export type Hashes = { hashes: { seq: number; hash: string }[] }

export const replicaOps = {
  /**
   * Applies a page of the owner's log: only after the stored cursor (else CONFLICT, nothing
   * done: a page applied twice is a no-op), events numbered on, every ledger row re-hashed and
   * linked to the replica's head. A page that breaks any of that breaks the replica (state
   * broken, with its reason) and nothing of it is applied. Rows, projections and the cursor
   * commit together.
   */
  'replicas.apply': write(
    z.strictObject({
      nodeId,
      name: z.string().max(64).optional(),
      after: feedPosition,
      events: z.array(logEvent).max(5000),
      head: feedPosition,
      upToDate: z.boolean(),
    })
  ).returns<{ replica: Replica; applied: number }>(),
  /** Breaks a replica from outside a page (the owner answered that the cursor forked). */
  'replicas.break': write(
    z.strictObject({ nodeId, reason: z.enum(BROKEN_REASONS), message: z.string().max(2000) })
  ).returns<Replica>(),
  'replicas.list': read(nothing).returns<{ replicas: Replica[] }>(),
  'replicas.get': read(z.strictObject({ nodeId })).returns<Replica>(),
  /** A replica's ledger, with the filters and paging of movements.list. */
  'replicas.movements': read(movementFilter.extend({ nodeId })).returns<{
    movements: Movement[]
    nextCursor: string | null
  }>(),
  /** The checks of a ledger verify over a replica: chain, running balances, cursor, balances. */
  'replicas.verify': read(z.strictObject({ nodeId })).returns<LedgerCheck>(),
  /** A peer's log served from this node's replica of it (the same page as events.feed). */
  'replicas.feed': read(z.strictObject({ nodeId, ...page })).returns<FeedPage>(),
  /** How far this node's replica of a peer goes, and since when it is known complete. */
  'replicas.head': read(z.strictObject({ nodeId })).returns<{
    events: number
    ledger: { seq: number; hash: string }
    caughtUpAt: string | null
  }>(),
  /** The hashes of a replica's rows at these seqs (those it holds). */
  'replicas.hashes': read(z.strictObject({ nodeId, seqs })).returns<Hashes>(),
  /** Every replica's figures, for the SKUs given (all without), or only the low ones. */
  'replicas.stock': read(
    z.strictObject({
      skus: z.array(z.string().max(100)).max(1000).optional(),
      low: z.boolean().optional(),
    })
  ).returns<{ replicas: ReplicaStock[] }>(),
  /**
   * This node's own log after a position, with its head: what a peer's puller reads. FORKED
   * when the position's ledger row is not this ledger's row at that seq.
   */
  'events.feed': read(z.strictObject(page)).returns<FeedPage>(),
  /** The hashes of this node's own ledger rows at these seqs (those it has). */
  'ledger.hashes': read(z.strictObject({ seqs })).returns<Hashes>(),
  /**
   * A broken replica follows its owner again, from its cursor (the owner holds that row as the
   * replica does: its ledger is back to this history). CONFLICT when the cursor is not the
   * replica's; a replica not broken is left as it is. Every page after is checked as ever.
   */
  'replicas.mend': write(z.strictObject({ nodeId, cursor: feedPosition })).returns<Replica>(),
  /**
   * Drops a broken replica whole (its events, rows, balances, items and cursor), so that it is
   * pulled afresh from its owner: for one its owner's ledger parted from for good. NOT_FOUND when
   * none; CONFLICT when it is not broken.
   */
  'replicas.reseed': write(z.strictObject({ nodeId })).returns<{
    nodeId: string
    dropped: { events: number; movements: number; was: Replica }
  }>(),
  /** events.feed's page as its JSON text: what the feed route serves. */
  'events.feedText': read(z.strictObject(page)).returns<FeedPageText>(),
  /** replicas.feed's page as its JSON text: what the replica feed route serves. */
  'replicas.feedText': read(z.strictObject({ nodeId, ...page })).returns<FeedPageText>(),
}
