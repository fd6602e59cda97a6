import { Response } from '@whatwg-node/server'
import type { Logger } from 'pino'
import { statusOf, type ErrorBody, type ErrorCode } from '../api/errors.ts'
import type { ErrorCode as WorkerCode } from '../db/contract/index.ts'

export type { ErrorCode, FieldProblem } from '../api/errors.ts'

// Every code the worker sends has a status in the catalogue: adding one to db/contract without a
// row in api/errors.ts fails the type check here, naming the code.
type Catalogued<Code extends ErrorCode> = Code
export type WorkerErrorCode = Catalogued<WorkerCode>

/** What an HttpError may carry besides its code and sentence. */
export interface HttpErrorOptions {
  /** Listed in the body: `{ path, message }` for each field that failed validation. */
  details?: unknown
  /** Sent with the answer: `retry-after`, `allow`, `connection: close`. */
  headers?: Record<string, string>
}

/**
 * An error that becomes an HTTP response: thrown by handlers for refusals, and by the runtime for
 * bad input and an unavailable worker. The status comes from the code (api/errors.ts); `error`
 * in the body is the message.
 */
export class HttpError extends Error {
  readonly status: number
  readonly code: ErrorCode
  readonly details?: unknown
  readonly headers?: Record<string, string>

  constructor(code: ErrorCode, message: string, options?: HttpErrorOptions) {
    super(message)
    this.name = 'HttpError'
    this.status = statusOf(code)
    this.code = code
    this.details = options?.details
    this.headers = options?.headers
  }
}

/** A refusal from the worker (its code, sentence and details) as the HttpError it answers with. */
export function errorFromCode(code: string, message: string, details?: unknown): HttpError {
  // A code this runtime does not know (a newer worker's) still answers, as a 500.
  return new HttpError(code as ErrorCode, message, { details })
}

/** A JSON response with the runtime's own Response class (the fast path of the server adapter). */
export function jsonResponse(body: unknown, status = 200, headers?: Record<string, string>) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  })
}

// Refusals of 5xx that are part of normal operation: the request line says enough.
const EXPECTED = new Set<ErrorCode>(['NODE_STOPPING'])

/**
 * The one catch: an HttpError becomes `{ status, error, code, details? }`; anything else is a
 * plain 500 whose cause is logged with the request id and never sent.
 */
export function errorResponse(err: unknown, log: Logger, requestId: string): Response {
  if (err instanceof HttpError) {
    const body: ErrorBody = { status: err.status, error: err.message, code: err.code }
    if (err.details !== undefined) body.details = err.details
    if (err.status >= 500 && !EXPECTED.has(err.code)) {
      log.warn({ requestId, code: err.code }, err.message)
    }
    return jsonResponse(body, err.status, err.headers)
  }
  log.error({ requestId, err }, 'unexpected error')
  const body: ErrorBody = {
    status: 500,
    error: `Internal error; see the node's log for request ${requestId}`,
    code: 'INTERNAL',
  }
  return jsonResponse(body, 500)
}
