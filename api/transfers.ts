// Transfers between warehouses: POST /transfers at the sender, receive/reject at the receiver,
// cancel/return at the sender, GET /transfers and GET /transfers/:id at both. The types mirror the
// worker's contract (db/contract/transfers.ts), which this folder cannot import (it loads in a
// browser); tests/api/transfers.test.ts checks the two agree.
import { z } from 'zod'
import { count, paging, quantity, sku, text, withoutControls, type Page } from './fields.ts'

/** A's side (direction `out`): from when the goods leave until the transfer is closed. */
export const TRANSFER_OUT_STATES = [
  'in_transit',
  'partially_received',
  'cancel_requested',
  'returning',
  'closed',
] as const
/** B's side (direction `in`). `unannounced`: B received before A's dispatch message arrived. */
export const TRANSFER_IN_STATES = [
  'announced',
  'unannounced',
  'partially_received',
  'received',
  'rejected',
  'cancelled',
] as const
export type TransferOutState = (typeof TRANSFER_OUT_STATES)[number]
export type TransferInState = (typeof TRANSFER_IN_STATES)[number]
export type TransferState = TransferOutState | TransferInState
export const TRANSFER_STATES = [
  ...new Set<TransferState>([...TRANSFER_OUT_STATES, ...TRANSFER_IN_STATES]),
]

/** How a closed transfer ended, at the sender. */
export const TRANSFER_OUTCOMES = [
  'delivered',
  'delivered_with_loss',
  'partially_returned',
  'returned',
  'cancelled',
] as const
export type TransferOutcome = (typeof TRANSFER_OUTCOMES)[number]

/** What the receiver does with what it did not accept: written off by the sender, or sent back. */
export const DISPOSITIONS = ['write_off', 'return'] as const
export type Disposition = (typeof DISPOSITIONS)[number]

export const TRANSFER_MESSAGE_KINDS = [
  'transfer.dispatched',
  'transfer.received',
  'transfer.rejected',
  'transfer.cancel_requested',
  'transfer.cancel_accepted',
  'transfer.cancel_refused',
] as const
export type TransferMessageKind = (typeof TRANSFER_MESSAGE_KINDS)[number]

/**
 * An id as the node makes them (a UUID) or a caller chooses (a receipt id): 1-100 characters, no
 * control characters (a receipt id goes to the other warehouse and is shown there, in a terminal).
 */
const id = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(100, { error: 'must be at most 100 characters' })
  .refine((s) => withoutControls(s) && !/[\t\n\r]/.test(s), {
    error:
      'must not contain control characters (tabs and line breaks too), direction overrides or zero-width spaces',
  })

/** A transfer id as senders make them: a UUID, written in lower case. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * A transfer's id in a path (/transfers/:id): a UUID in any case is the same transfer (a delivery
 * note typed in capitals was a transfer of its own, received on trust, its stock from nowhere).
 */
export const transferId = id.transform((given) => (UUID.test(given) ? given.toLowerCase() : given))

/** A line of what is sent: a SKU once, a quantity. */
const transferLines = z
  .array(z.strictObject({ sku, quantity }), { error: 'must be a list of {sku, quantity}' })
  .min(1, { error: 'must list at least one line' })
  .max(500, { error: 'must list at most 500 lines' })
  .superRefine((lines, ctx) => onceEach(lines, ctx))

function onceEach(lines: { sku: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>()
  lines.forEach((line, i) => {
    if (seen.has(line.sku))
      ctx.addIssue({ code: 'custom', path: [i, 'sku'], message: `lists ${line.sku} twice` })
    seen.add(line.sku)
  })
}

/** A body that is not an object says so plainly; other problems keep their own words. */
const body = {
  error: (issue: { code: string }) =>
    issue.code === 'invalid_type' ? 'must be a JSON object' : undefined,
}

/** POST /transfers: `to` is a member's node id or name; the goods leave this warehouse now. */
export const transferInput = z.strictObject(
  {
    to: text(100).min(1, { error: 'must not be empty' }),
    lines: transferLines,
    reference: text(100).optional(),
    note: text(1000).optional(),
  },
  body
)
export type TransferInput = z.output<typeof transferInput>

/** GET /transfers: filters and paging; newest first. */
export const transfersQuery = z.strictObject({
  direction: z.enum(['out', 'in'], { error: 'must be out or in' }).optional(),
  state: z
    .enum(TRANSFER_STATES as [TransferState, ...TransferState[]], {
      error: `must be one of ${TRANSFER_STATES.join(', ')}`,
    })
    .optional(),
  peer: text(100).optional(),
  sku: sku.optional(),
  ...paging,
})

/** One line of a receipt: what arrived, and what did not with what to do about it. */
const receiptLine = z
  .strictObject({
    sku,
    received: count,
    damaged: count.optional(),
    short: count.optional(),
    disposition: z.enum(DISPOSITIONS, { error: 'must be write_off or return' }).optional(),
    reason: text(1000).optional(),
  })
  .refine((l) => l.disposition !== undefined || !(l.damaged || l.short), {
    error: 'is required when damaged or short is given: write_off or return',
    path: ['disposition'],
  })
  .refine((l) => l.received + (l.damaged ?? 0) + (l.short ?? 0) > 0, {
    error: 'must be greater than zero when damaged and short are not given',
    path: ['received'],
  })

/**
 * POST /transfers/:id/receive at the receiver. `from` (the sender's node id or name) is needed
 * only before the dispatch message has arrived, and then only while this node's replica of the
 * sender does not show the transfer leaving; `receiptId` makes a retried receipt harmless
 * even without an Idempotency-Key; `final` says nothing more will be received. A final receipt
 * may list no lines: nothing more came, and the transfer is settled (what no receipt accounted
 * for is short) — how a transfer received in instalments, each not final, is closed.
 */
export const receiveInput = z
  .strictObject(
    {
      from: text(100).min(1, { error: 'must not be empty' }).optional(),
      receiptId: id.optional(),
      lines: z
        .array(receiptLine, { error: 'must be a list of {sku, received, damaged?, short?}' })
        .max(500, { error: 'must list at most 500 lines' })
        .superRefine((lines, ctx) => onceEach(lines, ctx)),
      final: z.boolean({ error: 'must be true or false' }),
    },
    body
  )
  .refine((b) => b.final || b.lines.length > 0, {
    error: 'must list at least one line (only a final receipt, nothing more to come, lists none)',
    path: ['lines'],
  })
export type ReceiveInput = z.output<typeof receiveInput>

/** POST /transfers/:id/reject (receiver, before any receipt) and /cancel (sender). */
export const reasonInput = z.strictObject(
  { reason: text(1000).min(1, { error: 'must not be empty: say why' }) },
  body
)
export const rejectInput = reasonInput
export const cancelInput = reasonInput

/** POST /transfers/:id/return at the sender: the goods that came back (all still due, without lines). */
export const returnInput = z.strictObject(
  { lines: transferLines.optional(), note: text(1000).optional() },
  body
)
export type ReturnInput = z.output<typeof returnInput>

/**
 * POST /transfers/:id/write-off at the sender: what a receipt marked to come back and will not
 * (all still due, without lines), written off.
 */
export const writeOffInput = returnInput
export type WriteOffInput = z.output<typeof writeOffInput>

/** One SKU of a transfer as this side knows it. Whole numbers in the item's unit. */
export interface TransferLine {
  sku: string
  /** What the sender sent (0 at the receiver until the dispatch message arrives). */
  sent: number
  received: number
  damaged: number
  short: number
  /** Not accepted: to be written off by the sender / to come back to it. */
  toWriteOff: number
  toReturn: number
  /** Booked back at the sender / written off there. */
  returned: number
  writtenOff: number
  /**
   * Still on the road as this side knows it: at the sender, sent − received − writtenOff −
   * returned; at the receiver, what is still to arrive (sent less what its receipts accounted for).
   */
  inTransit: number
}

/** One message of a transfer, in this node's outbox (outbound) or inbox (inbound). */
export interface TransferMessage {
  id: string
  kind: TransferMessageKind
  direction: 'outbound' | 'inbound'
  peer: string
  createdAt: string
  /** Outbound: when the peer's signed answer came (applied, duplicate or refused); null while pending. */
  deliveredAt: string | null
  /**
   * Outbound: `pending` until the peer answers, then its answer; inbound: `applied`, or `refused`
   * here. A refused message changed nothing at the receiver: outbound, `lastError` gives the
   * peer's code and why; inbound, the sender was given them.
   */
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
  reason: string | null
  createdAt: string
  updatedAt: string
  closedAt: string | null
  lines: TransferLine[]
}

/** GET /transfers/:id: the transfer with its messages and receipts. */
export interface TransferDetail extends Transfer {
  messages: TransferMessage[]
  receipts: { receiptId: string; final: boolean; createdAt: string }[]
  /**
   * Why this node's record of it may lag its ledger since a restore (the restore report's
   * transfers.outOfStep): it was not told again; compare it with the peer's record. Absent otherwise.
   */
  outOfStep?: string
}

export type TransferPage = Page<'transfers', Transfer>

/** One peer's transfer lane at this node (GET /network/lanes): what waits and how it goes. */
export interface LaneView {
  peer: string
  name: string
  /** Messages in the outbox for it, not yet delivered (the lane's depth). */
  pending: number
  /** Messages it answered for since this node started. */
  delivered: number
  /** Of those, the ones it refused (marked so in the outbox, with why, and logged). */
  refused: number
  /** Attempts failed in a row; 0 after an answer. */
  failures: number
  lastError: string | null
  /** When it is tried again after a failure; null when not waiting on a back-off. */
  nextAttemptAt: string | null
}

/** GET /network/lanes */
export interface LaneList {
  lanes: LaneView[]
}
