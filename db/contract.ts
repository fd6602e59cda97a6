/**
 * The contract between the runtime (handlers) and the DB worker: every operation the worker
 * executes, with its payload and result types, and the envelopes that carry them over ZeroMQ.
 *
 * The list only grows. A breaking change to an operation gets a new name or a new
 * `PROTOCOL_VERSION`, never an edit in place.
 */

/** Version of the envelope format; the worker refuses envelopes of another version. */
export const PROTOCOL_VERSION = 1

/** A catalogue entry. `sku` is the company-wide key, stored upper-case. */
export interface Item {
  sku: string
  name: string
  unit: string
  description: string
  /** Stock at or below it is low; null: no reorder point, never low. */
  reorderPoint: number | null
  createdAt: string
  updatedAt: string
}

export interface ItemInput {
  sku: string
  name: string
  unit: string
  description?: string
  reorderPoint?: number | null
}

export interface ItemPatch {
  name?: string
  unit?: string
  description?: string
  reorderPoint?: number | null
}

export type MovementType = 'receipt' | 'issue' | 'adjustment'

/** One row of the append-only ledger. `delta` is the signed change to on hand. */
export interface Movement {
  seq: number
  type: MovementType
  sku: string
  quantity: number
  delta: number
  countedQuantity: number | null
  balanceAfter: number
  reference: string
  note: string
  createdAt: string
  prevHash: string
  hash: string
}

interface MovementCommon {
  sku: string
  reference?: string
  note?: string
}

/** A receipt or issue moves `quantity`; an adjustment sets a counted quantity or applies a delta. */
export type MovementInput =
  | (MovementCommon & { type: 'receipt' | 'issue'; quantity: number })
  | (MovementCommon & { type: 'adjustment'; countedQuantity: number })
  | (MovementCommon & { type: 'adjustment'; delta: number })

export interface Stock {
  sku: string
  name: string
  unit: string
  onHand: number
  reorderPoint: number | null
  /** On hand is at or below the reorder point (never, without one). */
  low: boolean
  lastSeq: number | null
  updatedAt: string
}

export interface PageRequest {
  limit: number
  cursor?: string
}

export interface MovementFilter extends PageRequest {
  sku?: string
  type?: MovementType
  from?: string
  to?: string
  order?: 'asc' | 'desc'
}

/**
 * One thing in the ledger that does not check out. `gap`, `chain`, `hash` and `head` break the
 * hash chain itself (a row missing, unlinked, changed, or removed from the end); the others are
 * balances that disagree with the rows.
 */
export interface LedgerDifference {
  kind: 'hash' | 'chain' | 'gap' | 'head' | 'balance-after' | 'balance' | 'negative'
  seq?: number
  sku?: string
  expected?: string | number | null
  actual?: string | number | null
  message: string
}

export interface LedgerCheck {
  ok: boolean
  differences: LedgerDifference[]
  checked: { movements: number; balances: number }
  head: { seq: number; hash: string }
}

export interface LedgerRebuild {
  rebuilt: number
  changes: { sku: string; before: number | null; after: number }[]
}

/** Where a verify job stands: `checked` rows of `of` so far; `ready` when one finish is left. */
export interface VerifyProgress {
  job: string
  checked: number
  of: number
  ready: boolean
  /** The worker's time on this step, in ms. */
  ms: number
}

/** Why the node refuses writes: what did not check out when it started, and since when. */
export interface LedgerHalt {
  since: string
  problems: string[]
  /** What an admin can do about it. */
  action: string
}

export interface LedgerStatus {
  /** `refused` while the ledger is halted (see `halt`). */
  writes: 'accepted' | 'refused'
  halt: LedgerHalt | null
  verify: { job: string; checked: number; of: number; startedAt: string } | null
}

/** An admin's acceptance of the ledger as it stands (POST /ledger/accept). */
export interface LedgerAcceptance {
  acceptedAt: string
  reason: string
  /** The last movement, which the head anchor now records. */
  head: { seq: number; hash: string }
  /** What the anchor recorded before. */
  anchor: { seq: number; hash: string }
  /** What did not check out (head, anchor, balances) when it was accepted. */
  problems: string[]
  /** Balances set to what the ledger, as it stands, sums to. */
  changes: LedgerRebuild['changes']
}

export interface NodeInfo {
  id: string
  name: string
  counts: { items: number; movements: number }
  database: { file: string; sqliteVersion: string; journalMode: string; synchronous: string }
}

export type MemberState = 'alive' | 'suspect' | 'failed' | 'left'

/** A node of the peer network as this node's peer list records it (itself included). */
export interface Member {
  id: string
  name: string
  /** Base URL peers use to reach it, e.g. http://10.0.0.2:8080 */
  address: string
  state: MemberState
  incarnation: number
  stateChangedAt: string
  /** For suspect and failed: when the evidence was seen (last word heard, or a refusal). */
  evidenceAt: string | null
}

/** Every operation, by name: what it takes and what it returns. */
export interface Operations {
  'node.info': { payload: Record<string, never>; result: NodeInfo }
  'node.ping': { payload: Record<string, never>; result: { pong: true } }
  'items.create': { payload: ItemInput; result: Item }
  'items.get': { payload: { sku: string }; result: Item }
  'items.update': { payload: { sku: string; patch: ItemPatch }; result: Item }
  'items.list': {
    payload: PageRequest & { search?: string }
    result: { items: Item[]; nextCursor: string | null }
  }
  'stock.get': { payload: { sku: string }; result: Stock }
  'stock.list': {
    payload: PageRequest & { low?: boolean }
    result: { stock: Stock[]; nextCursor: string | null }
  }
  'movements.record': { payload: MovementInput; result: Movement }
  'movements.list': {
    payload: MovementFilter
    result: { movements: Movement[]; nextCursor: string | null }
  }
  /** The whole ledger in one operation, holding the worker throughout: for tools, not handlers. */
  'ledger.verify': { payload: Record<string, never>; result: LedgerCheck }
  /**
   * Rewrites the balances that differ from the ledger's sums; refused (LEDGER_BROKEN) when the
   * hash chain is broken. Fast right after a verify job finished; otherwise it verifies inline.
   */
  'ledger.rebuild': { payload: Record<string, never>; result: LedgerRebuild }
  /** A verify in small steps (one job at a time): start, step until ready, then finish. */
  'ledger.verifyStart': { payload: Record<string, never>; result: VerifyProgress }
  'ledger.verifyStep': { payload: { job: string }; result: VerifyProgress }
  /** Checks the rows appended since the last step and every balance, in one envelope. */
  'ledger.verifyFinish': { payload: { job: string }; result: LedgerCheck }
  'ledger.verifyCancel': { payload: { job: string }; result: { cancelled: boolean } }
  /** Accepts the ledger as it stands: re-anchors its head, sets balances from it, lifts a halt. */
  'ledger.accept': { payload: { reason: string }; result: LedgerAcceptance }
  /** Whether writes are halted and why, and the verify job running, if any. Answers at once. */
  'ledger.status': { payload: Record<string, never>; result: LedgerStatus }
  /** The peer list, and whether the node rejoins it by itself at start (false after an operator's leave). */
  'members.list': { payload: Record<string, never>; result: { members: Member[]; rejoin: boolean } }
  /** Writes decided membership changes (whole rows, upserted by id) in one transaction. */
  'members.apply': { payload: { members: Member[]; rejoin?: boolean }; result: { applied: number } }
  /** Forgets members that left or failed long ago. */
  'members.reap': { payload: { ids: string[] }; result: { reaped: number } }
}

export type OpName = keyof Operations
export type Payload<O extends OpName> = Operations[O]['payload']
export type Result<O extends OpName> = Operations[O]['result']

/** Operations that change the database: they run in the write transaction and honour idempotency keys. */
export const WRITE_OPS: ReadonlySet<OpName> = new Set<OpName>([
  'items.create',
  'items.update',
  'movements.record',
  'ledger.rebuild',
  'ledger.accept',
  'members.apply',
  'members.reap',
])

/** Error codes that cross the socket; the runtime maps each to an HTTP status. */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INSUFFICIENT_STOCK'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'EXPIRED'
  | 'UNKNOWN_OP'
  | 'SCHEMA_MISSING'
  | 'INTERNAL'
  | 'LEDGER_HALTED'
  | 'LEDGER_BROKEN'
  | 'VERIFY_BUSY'

export interface WireError {
  code: ErrorCode
  message: string
  details?: unknown
}

/**
 * Framing: one ZeroMQ frame carries one envelope, or a JSON array of envelopes sent together
 * (under load the runtime sends every call of an event-loop turn in one frame). The worker answers
 * with one frame per sender per batch, holding one reply or an array of replies; callers match
 * replies by `id`, never by position.
 */
export interface RequestEnvelope<O extends OpName = OpName> {
  v: number
  id: string
  op: O
  payload: Payload<O>
  /** Epoch ms after which the caller has given up: the worker must not start the operation. */
  deadline: number
  /** Idempotency key of the HTTP request, for write operations. */
  key?: string
}

export type ReplyEnvelope =
  | { v: number; id: string; ok: true; data: unknown; replayed?: boolean }
  | { v: number; id: string; ok: false; error: WireError; replayed?: boolean }
