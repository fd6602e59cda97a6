// The wire between the runtime and the database worker: the envelopes, the error codes and the
// notice the worker sends unasked.
import type { OpName, Payload } from './operations.ts'

/** Version of the envelope format; the worker refuses envelopes of another version. */
export const PROTOCOL_VERSION = 1

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
  /** The disk that holds the database is full (SQLite's SQLITE_FULL): nothing was applied. */
  | 'DISK_FULL'
  | 'LEDGER_HALTED'
  | 'LEDGER_BROKEN'
  | 'VERIFY_BUSY'
  /** A feed asked for after a ledger row this ledger does not have at that seq. */
  | 'FORKED'
  // Transfers (db/contract/transfers.ts).
  | 'INVALID_DESTINATION'
  | 'INVALID_TRANSFER_STATE'
  | 'ALREADY_RECEIVED'
  | 'ALREADY_FINAL'
  | 'TRANSFER_CANCELLED'
  | 'TRANSFER_REJECTED'
  | 'EXCEEDS_IN_TRANSIT'
  /** A queue or topic kept to granted users, and the envelope's user is not granted that. */
  | 'FORBIDDEN'

export interface WireError {
  code: ErrorCode
  message: string
  details?: unknown
}

/**
 * Framing: one ZeroMQ frame carries one envelope, or a JSON array of envelopes sent together
 * (under load the runtime sends every call of an event-loop turn in one frame). The worker answers
 * with one frame per sender per batch, holding one reply or an array of replies (followed by the
 * texts of any FramedText among them); callers match replies by `id`, never by position.
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
  /**
   * Who asks: the user whose API token the request carried, or `peer:<node id>` for a signed
   * peer's request. The ledger records it on the rows the write makes (db/actor.ts).
   */
  actor?: string
}

export type ReplyEnvelope =
  | {
      v: number
      id: string
      ok: true
      data: unknown
      replayed?: boolean
      /** The data's text came in this frame after the replies' (1 the first): a FramedText. */
      textFrame?: number
    }
  | { v: number; id: string; ok: false; error: WireError; replayed?: boolean }

/**
 * A reply's data whose text travels as it is, in a ZeroMQ frame of its own after the replies'
 * frame (a feed page: up to megabytes of JSON): never escaped into the envelope by the worker nor
 * parsed out of it by the runtime, which gets its bytes. On the wire the reply's data is
 * `{ events }` and the reply names the frame (`textFrame`, beside the data, never in it); the
 * runtime puts `{ events, text }` back, `text` a Buffer.
 */
export class FramedText {
  constructor(
    readonly text: string,
    readonly events: number
  ) {}
}

/**
 * Sent by the worker unasked, in a frame of its own, to every runtime it has heard from: after a
 * batch that appended events, the event log's last seq. It has no `id`: it answers no call.
 */
export interface Notice {
  v: number
  notice: 'events'
  head: number
  /** The ledger's last row as of that head (older workers leave it out). */
  ledger?: { seq: number; hash: string }
  /** The events may have put messages for peers in the outbox (a federated topic's). */
  outbox?: true
}
