// The wire between the runtime and the database worker: the envelopes, the error codes, the
// notice the worker sends unasked, and how an operation is declared (db/contract/<resource>.ts).
import { z } from 'zod'
import type { OpName, Payload } from './index.ts'

/** Version of the envelope format; the worker refuses envelopes of another version. */
export const PROTOCOL_VERSION = 1

/**
 * What an operation declares: whether it reads or writes, and the payload the worker admits (a
 * zod schema, checked before the operation runs). A write runs in the batch's write transaction,
 * in a savepoint of its own, and honours the request's idempotency key.
 */
export interface OpDescriptor<S extends z.ZodType = z.ZodType, R = unknown> {
  kind: 'read' | 'write'
  payload: S
  /** Type only, never set: what the operation returns. */
  readonly result?: R
}

function describe(kind: OpDescriptor['kind']) {
  return <S extends z.ZodType>(payload: S) => ({
    /** The result type, which only TypeScript checks. */
    returns: <R>(): OpDescriptor<S, R> => ({ kind, payload }),
  })
}

/** An operation that only reads: `read(payloadSchema).returns<Result>()`. */
export const read = describe('read')
/** An operation that changes the database: `write(payloadSchema).returns<Result>()`. */
export const write = describe('write')

/** No payload: `{}`. */
export const nothing = z.strictObject({})

/** Paging for list operations: at most `limit` rows after the `cursor` a previous page gave. */
export const pageRequest = {
  limit: z.number().int().min(1),
  cursor: z.string().optional(),
}
export type PageRequest = z.infer<z.ZodObject<typeof pageRequest>>

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

/**
 * Sent by the worker unasked, in a frame of its own, to every runtime it has heard from: after a
 * batch that appended events, the event log's last seq. It has no `id`: it answers no call.
 */
export interface Notice {
  v: number
  notice: 'events'
  head: number
}
