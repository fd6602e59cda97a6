import { z } from 'zod'
import { nothing, pageRequest, read, write } from './descriptor.ts'

// Transfers between warehouses (../shared/research/replication-transfers.md §2.4, §3.4, §6.2).
// One transfer id, two owners: the sender A owns what left it and what is written off or comes
// back; the receiver B owns what it received. Each side keeps its own record of the transfer
// (direction `out` at A, `in` at B) and they learn of each other's steps only through messages:
// facts, each applied exactly once (the inbox), each carried by the sender's outbox until the
// peer's signed answer says it is applied.

/** A's side: the transfer from when the goods leave until it is closed (with an outcome). */
export const OUT_STATES = [
  'in_transit',
  'partially_received',
  'cancel_requested',
  'returning',
  'closed',
] as const
/** B's side. `unannounced`: B received against the id before A's dispatch message arrived. */
export const IN_STATES = [
  'announced',
  'unannounced',
  'partially_received',
  'received',
  'rejected',
  'cancelled',
] as const
export type OutState = (typeof OUT_STATES)[number]
export type InState = (typeof IN_STATES)[number]
export type TransferState = OutState | InState

/** How a closed transfer ended, at A. */
export const OUTCOMES = [
  'delivered',
  'delivered_with_loss',
  'partially_returned',
  'returned',
  'cancelled',
] as const
export type TransferOutcome = (typeof OUTCOMES)[number]

/** What B does with what it did not accept: A writes it off, or it stays in transit to come back. */
export const DISPOSITIONS = ['write_off', 'return'] as const
export type Disposition = (typeof DISPOSITIONS)[number]

/** One SKU of a transfer, as this side knows it. Integers in the item's unit. */
export interface TransferLine {
  sku: string
  /** What A sent (0 at B until the dispatch message arrives). */
  sent: number
  received: number
  damaged: number
  short: number
  /** Not accepted and to be written off by A / to come back to A. */
  toWriteOff: number
  toReturn: number
  /** Booked back at A (transfer_return rows) / written off at A (transfer_writeoff rows). */
  returned: number
  writtenOff: number
  /**
   * Still on the road as this side knows it: at the sender, sent − received − writtenOff −
   * returned; at the receiver, what is still to arrive (sent less what its receipts accounted for).
   */
  inTransit: number
}

/** One message of a transfer, in this node's outbox (sent) or inbox (applied). */
export interface TransferMessage {
  id: string
  kind: TransferMessageKind
  direction: 'outbound' | 'inbound'
  /** The peer it goes to or came from. */
  peer: string
  createdAt: string
  /** Outbound: when the peer's signed answer came (applied, duplicate or refused); null while pending. */
  deliveredAt: string | null
  /** Outbound: `pending` until the peer answers, then its answer; inbound: applied or refused here. */
  status: 'pending' | 'applied' | 'duplicate' | 'refused'
  /** Outbound and refused: the code the peer refused it with (NOT_FOUND…); else null. */
  code: string | null
  attempts: number
  nextAttemptAt: string | null
  lastError: string | null
}

export interface Transfer {
  id: string
  direction: 'out' | 'in'
  /** The other warehouse: its node id and (last known) name. */
  peer: string
  peerName: string
  state: TransferState
  outcome: TransferOutcome | null
  reference: string
  note: string
  /** At A, waiting on B's answer to a cancel; at B, why it was rejected or cancelled. */
  reason: string | null
  createdAt: string
  updatedAt: string
  closedAt: string | null
  lines: TransferLine[]
}

/** GET /transfers/:id: the transfer, with every message of it and its delivery state. */
export interface TransferDetail extends Transfer {
  messages: TransferMessage[]
  /** The receipts recorded for it (at B its own, at A those B told it of), oldest first. */
  receipts: { receiptId: string; final: boolean; createdAt: string }[]
  /**
   * Why this node's record of it may lag its ledger since a restore (the restore report's
   * transfers.outOfStep): it was not told again; compare it with the peer's record. Absent otherwise.
   */
  outOfStep?: string
}

/** The facts transfers exchange; each is a message from one side's outbox to the other's inbox. */
export const TRANSFER_MESSAGE_KINDS = [
  'transfer.dispatched', // A→B: the goods left A (lines, the items' catalogue entries)
  'transfer.received', // B→A: one receipt (receiptId, lines, final)
  'transfer.rejected', // B→A: B refuses the whole transfer (before any receipt)
  'transfer.cancel_requested', // A→B: A asks to cancel
  'transfer.cancel_accepted', // B→A: no receipt yet; B will refuse any later one
  'transfer.cancel_refused', // B→A: B already received (its receipts follow or came before)
] as const
export type TransferMessageKind = (typeof TRANSFER_MESSAGE_KINDS)[number]
/**
 * What the outbox carries: the transfers' messages, and a message on a topic that A federates to
 * B (its transferId is the topic; it belongs to no transfer's story).
 */
export const OUTBOX_KINDS = [...TRANSFER_MESSAGE_KINDS, 'message.federated'] as const
export type OutboxKind = (typeof OUTBOX_KINDS)[number]

const whole = z.number().int()
const id = z.string().min(1).max(100)
const text = z.string().max(1000)
/**
 * A SKU as a node stores it (api/fields.ts's rule, after its upper-casing): a peer sends only
 * these, and one that does not fit is refused, never stored in a form the API would not make.
 */
const sku = z.string().regex(/^[A-Z0-9][A-Z0-9._-]{0,63}$/)

/** An item's catalogue entry as it travels with the goods, within the API's limits for items. */
export const travellingItem = z.strictObject({
  name: z.string().min(1).max(200),
  unit: z.string().min(1).max(20),
  description: z.string().max(2000).optional(),
})

/** A message between transfer inboxes; `payload` is checked per kind (messagePayloads). */
export const transferMessage = z.strictObject({
  id,
  kind: z.enum(OUTBOX_KINDS),
  transferId: id,
  createdAt: z.string(),
  payload: z.record(z.string(), z.unknown()),
})
export type TransferMessageEnvelope = z.infer<typeof transferMessage>

const receiptLine = z.strictObject({
  sku,
  received: whole.min(0),
  damaged: whole.min(0).optional(),
  short: whole.min(0).optional(),
  disposition: z.enum(DISPOSITIONS).optional(),
  reason: text.optional(),
})

/**
 * On the first message a node restored from its peers' replicas tells again of a transfer
 * (db/transfers/rebuild.ts): its peer, having taken it, tells its own side of that transfer
 * again, which the restored node may have lost with its disk. Never on those answers: no loop.
 */
const again = { again: z.literal(true).optional() }

/** Each kind's payload: validated by the inbox before anything is applied. */
export const messagePayloads = {
  'transfer.dispatched': z.strictObject({
    fromName: z.string().max(64),
    lines: z
      .array(z.strictObject({ sku, quantity: whole.positive(), item: travellingItem }))
      .min(1),
    reference: z.string().max(100),
    note: text,
    ...again,
  }),
  'transfer.received': z.strictObject({
    receiptId: id,
    lines: z.array(receiptLine).min(1),
    final: z.boolean(),
    ...again,
  }),
  'transfer.rejected': z.strictObject({ reason: text, ...again }),
  'transfer.cancel_requested': z.strictObject({ reason: text, ...again }),
  'transfer.cancel_accepted': z.strictObject({ ...again }),
  'transfer.cancel_refused': z.strictObject({ reason: text, ...again }),
  // A peer names the topic and the id it is stored under here: both kept to the shapes this
  // node itself makes (dotted words, visible ASCII), its time to an ISO time. A word may start
  // with a dash or an underscore, as a topic's name may (api/topics.ts): `_audit` was refused
  // here, and its every message lost.
  'message.federated': z.strictObject({
    topic: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/),
    id: z.string().regex(/^[\x21-\x7e]{1,200}$/),
    body: z.unknown(),
    headers: z.record(z.string().max(100), z.string().max(1000)),
    publishedAt: z.iso.datetime(),
  }),
} satisfies Record<OutboxKind, z.ZodType>

/**
 * The most bytes of messages one exchange between nodes carries: a node reads 64 KiB of a request
 * body (runtime/input.ts), and the envelope around the messages takes a little. A step whose
 * message would be bigger is refused when it is made, never left to block its peer's outbox.
 */
export const MAX_MESSAGE_BYTES = 60 * 1024

/** What the inbox answers per message: applied now, applied before (its first answer), refused. */
export interface InboxResult {
  id: string
  status: 'applied' | 'duplicate' | 'refused'
  code?: string
  message?: string
}

/** A message waiting in the outbox for its peer. */
export interface OutboxMessage extends TransferMessageEnvelope {
  to: string
  attempts: number
  nextAttemptAt: string | null
}

const lines = z.array(z.strictObject({ sku: z.string(), quantity: whole.positive() })).min(1)

export const transferFilter = z.strictObject({
  ...pageRequest,
  direction: z.enum(['out', 'in']).optional(),
  state: z.string().optional(),
  peer: z.string().optional(),
  sku: z.string().optional(),
})
export type TransferFilter = z.infer<typeof transferFilter>

export const transferOps = {
  /**
   * At A: the goods leave (a transfer_out row per line), the transfer is in transit and its
   * dispatch message is in the outbox, in one transaction. Refused: INSUFFICIENT_STOCK (with the
   * shortfall per line), NOT_FOUND (an item), INVALID_DESTINATION (this node itself). The runtime
   * has resolved `to` among the members; the id is made here, so a retried key replays it.
   */
  'transfers.create': write(
    z.strictObject({
      to: id,
      toName: z.string(),
      lines,
      reference: z.string().optional(),
      note: z.string().optional(),
    })
  ).returns<Transfer>(),
  /**
   * At B: one receipt (transfer_in rows for what was received; damaged and short with their
   * disposition), and its message to A in the outbox. Accepted before the dispatch arrived
   * (`from` names A then). `receiptId` de-duplicates receipts (made here when absent). Refused
   * once the transfer is received in full, rejected or cancelled.
   */
  'transfers.receive': write(
    z.strictObject({
      id,
      from: id.optional(),
      fromName: z.string().optional(),
      receiptId: id.optional(),
      lines: z.array(receiptLine).min(1),
      final: z.boolean(),
    })
  ).returns<TransferDetail>(),
  /** At B, before any receipt: the whole transfer refused; A books the goods back on return. */
  'transfers.reject': write(z.strictObject({ id, reason: text })).returns<TransferDetail>(),
  /** At A: asks B to cancel (cancel_requested); only B's acceptance lets the goods be booked back. */
  'transfers.cancel': write(z.strictObject({ id, reason: text })).returns<TransferDetail>(),
  /** At A: books back (transfer_return rows) what is to come back, after a rejection, cancel or return disposition. */
  'transfers.return': write(
    z.strictObject({ id, lines: lines.optional(), note: text.optional() })
  ).returns<TransferDetail>(),
  'transfers.list': read(transferFilter).returns<{
    transfers: Transfer[]
    nextCursor: string | null
  }>(),
  'transfers.get': read(z.strictObject({ id })).returns<TransferDetail>(),
  /**
   * What this node knows of a transfer id before a receipt names it: whether it knows the transfer
   * (sent from here, or announced by its sender's message: not a record of receipts taken on
   * trust), and which sender's ledger, as replicated here, shows it leaving (null: none does).
   */
  'transfers.known': read(z.strictObject({ id })).returns<{
    here: boolean
    sentBy: string | null
    /** The sender named by receipts taken on trust here (a record never announced), if any. */
    onTrustFrom: string | null
  }>(),
  /**
   * A peer's messages, each applied exactly once with its answer stored in the same transaction
   * (the idempotency store, scope `peer:<from>`, for ever): a duplicate gets its first answer.
   */
  'transfers.inbox': write(
    z.strictObject({
      from: id,
      fromName: z.string(),
      messages: z.array(transferMessage.extend({ kind: z.enum(TRANSFER_MESSAGE_KINDS) })).min(1),
    })
  ).returns<{ results: InboxResult[] }>(),
  /** As transfers.inbox, and the messages of the topics a peer federates (message.federated). */
  'transfers.inboxV2': write(
    z.strictObject({ from: id, fromName: z.string(), messages: z.array(transferMessage).min(1) })
  ).returns<{
    results: InboxResult[]
    /**
     * Applying them put answers in this node's outbox (or the batch came again, whose first
     * answers may wait there): the relay has something to carry. A federated topic's messages,
     * put there by the event log's trigger, are not counted: the worker's notice says so.
     */
    enqueued: boolean
  }>(),
  /** The outbox's undelivered messages for one peer (all peers without `to`), oldest first. */
  'outbox.pending': read(
    z.strictObject({ to: id.optional(), limit: z.number().int().min(1) })
  ).returns<{ messages: OutboxMessage[] }>(),
  /** The relay's attempt: messages the peer answered are delivered; failures get their next time. */
  'outbox.settle': write(
    z.strictObject({
      delivered: z.array(
        z.strictObject({
          id,
          status: z.enum(['applied', 'duplicate', 'refused']),
          at: z.string(),
          problem: text.optional(),
        })
      ),
      failed: z.array(z.strictObject({ id, error: text, nextAttemptAt: z.string() })),
    })
  ).returns<{ delivered: number; failed: number }>(),
  /** How many messages wait in the outbox, per destination (those with any): the map's depth. */
  'outbox.depth': read(nothing).returns<{ outbox: { peer: string; pending: number }[] }>(),
  /**
   * The destinations with messages waiting, and nothing more: one index seek per peer, however
   * long the backlog (outbox.depth counts every message). The relay's look-over asks it.
   */
  'outbox.waiting': read(nothing).returns<{ peers: string[] }>(),
  /**
   * At A: writes off (transfer_writeoff rows) what a receipt marked to come back and will not, all
   * that is due without lines; the transfer closes once nothing more is due.
   */
  'transfers.writeOff': write(
    z.strictObject({ id, lines: lines.optional(), note: text.optional() })
  ).returns<TransferDetail>(),
}
