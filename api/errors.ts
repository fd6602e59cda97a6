// Every error code the node answers with, and its HTTP status: the one catalogue. A refusal is
// thrown with a code and a sentence, never a status; the worker's codes (db/contract) are here too,
// and the runtime's type check fails when one of them is missing (runtime/errors.ts). Codes are
// UPPER_SNAKE and only ever added: clients (and scripts) branch on them.
import { z } from 'zod'

/** Code → HTTP status. */
export const ERROR_STATUS = {
  // The request as sent.
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** Request headers over Node's limit (16 KiB in all), refused before any route sees them. */
  HEADERS_TOO_LARGE: 431,
  /** A request (its headers, or its body) that did not all arrive within the server's time. */
  REQUEST_TIMEOUT: 408,
  /** The client hung up before its body arrived (nginx's 499): nobody reads this answer. */
  CLIENT_CLOSED: 499,
  // Who may ask.
  UNAUTHENTICATED: 401,
  /** A peer whose clock is too far from this node's (signed requests carry their time). */
  CLOCK_SKEW: 401,
  /** A valid token whose role is too weak for the route. */
  FORBIDDEN: 403,
  HOST_NOT_ALLOWED: 403,
  ORIGIN_NOT_ALLOWED: 403,
  /** A peer's request signed before this node started: it cannot be told from a replay. */
  TOO_EARLY: 425,
  // The state of things refuses it.
  CONFLICT: 409,
  INSUFFICIENT_STOCK: 409,
  LEDGER_HALTED: 409,
  LEDGER_BROKEN: 409,
  NO_CLUSTER_KEY: 409,
  NOT_A_MEMBER: 409,
  WRONG_NODE: 409,
  REPLAYED: 409,
  /** A replica's cursor names a ledger row the owner does not have: the histories differ. */
  FORKED: 409,
  /** A transfer's state does not allow this step (receive at its sender, return with nothing due…). */
  INVALID_TRANSFER_STATE: 409,
  /** A cancel after the receiver has received against the transfer: it cannot be undone. */
  ALREADY_RECEIVED: 409,
  /** A receipt after the final one. */
  ALREADY_FINAL: 409,
  /** A receipt for a transfer its sender cancelled (with the receiver's agreement) or it rejected. */
  TRANSFER_CANCELLED: 409,
  TRANSFER_REJECTED: 409,
  /** More booked back or received than is on the road. */
  EXCEEDS_IN_TRANSIT: 409,
  /** A cluster key id that is not installed on the node asked. */
  KEY_UNKNOWN: 409,
  /** A cluster key still signing (on this node or a member), or a keyring already full. */
  KEY_IN_USE: 409,
  /** A rotation step that needs every live member, and some do not hold the key or did not answer. */
  KEY_NOT_EVERYWHERE: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  /** An event stream over the open streams a user (or the node) may have at once. */
  TOO_MANY_STREAMS: 429,
  /** A transfer to a warehouse that is not a member of this network. */
  UNKNOWN_DESTINATION: 422,
  /** A transfer to this warehouse itself. */
  INVALID_DESTINATION: 422,
  // Not now: retry (most of these come with Retry-After).
  NOT_READY: 503,
  NODE_STOPPING: 503,
  /** The node is rebuilding its ledger from its peers' replicas (--restore): not yet verified. */
  RESTORING: 503,
  BUSY: 503,
  DB_BUSY: 503,
  DB_UNAVAILABLE: 503,
  VERIFY_BUSY: 503,
  /** A connection over the node's limits (--max-connections, --max-connections-per-client). */
  TOO_MANY_CONNECTIONS: 503,
  /** The caller's deadline passed before the worker started the operation. */
  EXPIRED: 504,
  DB_TIMEOUT: 504,
  /** None of the members asked answered (POST /members/join). */
  PEER_UNREACHABLE: 502,
  /** The disk that holds the database is full: nothing was applied; free space, then retry. */
  DISK_FULL: 507,
  // A fault of the node, never of the request.
  INTERNAL: 500,
  UNKNOWN_OP: 500,
  SCHEMA_MISSING: 500,
} as const satisfies Record<string, number>

export type ErrorCode = keyof typeof ERROR_STATUS

/** The status of a code; 500 for one this catalogue does not know (a newer worker's, say). */
export function statusOf(code: string): number {
  return Object.hasOwn(ERROR_STATUS, code) ? ERROR_STATUS[code as ErrorCode] : 500
}

/** One problem with one field of the input, as listed in an error's `details`. */
export interface FieldProblem {
  path: string
  message: string
}

/**
 * The body of every refusal: `error` is a sentence for a person, `code` is for programs, and
 * `details` lists `{ path, message }` for validation failures.
 */
export interface ErrorBody {
  status: number
  error: string
  code: ErrorCode
  details?: unknown
}

/** ErrorBody as a schema, for the OpenAPI document: the codes are this catalogue's. */
export const errorBody = z.object({
  status: z.number().int(),
  error: z.string(),
  code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
  details: z.unknown().optional(),
}) satisfies z.ZodType<ErrorBody>
