import { Response } from '@whatwg-node/server'
import type { Logger } from 'pino'

/** One problem with one field of the input, as listed in an error's `details`. */
export interface FieldProblem {
  path: string
  message: string
}

/**
 * An error that becomes an HTTP response: thrown by handlers for refusals, and by the runtime for
 * bad input and an unavailable worker. `code` is UPPER_SNAKE; `error` in the body is the message.
 */
export class HttpError extends Error {
  readonly status: number
  readonly code: string
  readonly details?: unknown
  readonly headers?: Record<string, string>

  constructor(
    status: number,
    code: string,
    message: string,
    details?: unknown,
    headers?: Record<string, string>
  ) {
    super(message)
    this.name = 'HttpError'
    this.status = status
    this.code = code
    this.details = details
    this.headers = headers
  }
}

// How the worker's error codes (and the runtime's own) read over HTTP.
const STATUS_BY_CODE: Record<string, number> = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  INSUFFICIENT_STOCK: 409,
  LEDGER_HALTED: 409,
  LEDGER_BROKEN: 409,
  VERIFY_BUSY: 503,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  DB_BUSY: 503,
  DB_UNAVAILABLE: 503,
  EXPIRED: 504,
  DB_TIMEOUT: 504,
}

/** An error with a code but no status (the worker's) as an HttpError; unknown codes are 500. */
export function errorFromCode(code: string, message: string, details?: unknown): HttpError {
  return new HttpError(STATUS_BY_CODE[code] ?? 500, code, message, details)
}

/** A JSON response with the runtime's own Response class (the fast path of the server adapter). */
export function jsonResponse(body: unknown, status = 200, headers?: Record<string, string>) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  })
}

// Refusals of 5xx that are part of normal operation: the request line says enough.
const EXPECTED = new Set(['NODE_STOPPING'])

/**
 * The one catch: an HttpError becomes `{ status, error, code, details? }`; anything else is a
 * plain 500 whose cause is logged with the request id and never sent.
 */
export function errorResponse(err: unknown, log: Logger, requestId: string): Response {
  if (err instanceof HttpError) {
    const body: Record<string, unknown> = { status: err.status, error: err.message, code: err.code }
    if (err.details !== undefined) body.details = err.details
    if (err.status >= 500 && !EXPECTED.has(err.code)) {
      log.warn({ requestId, code: err.code }, err.message)
    }
    return jsonResponse(body, err.status, err.headers)
  }
  log.error({ requestId, err }, 'unexpected error')
  return jsonResponse(
    {
      status: 500,
      error: `Internal error; see the node's log for request ${requestId}`,
      code: 'INTERNAL',
    },
    500
  )
}
