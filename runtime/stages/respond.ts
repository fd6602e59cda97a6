// The stages after the handler: the answer as a Response (or the refusal as one), and the
// headers every answer carries.
import { Response } from '@whatwg-node/server'
import { HttpError, errorResponse, jsonResponse } from '../errors.ts'
import type { Logger } from 'pino'
import type { IRequest } from 'itty-router'
import type { Exchange, Finally } from './exchange.ts'

/** Plain data from a handler is sent as JSON with 200; a Response as it is. */
export const toResponse: Finally = function toResponse(result: unknown) {
  if (result instanceof Response || result instanceof globalThis.Response) return result as Response
  return jsonResponse(result)
}

/** The one catch: a refusal as its JSON body, anything else a 500 that leaks nothing. */
export function toErrorResponse(log: Logger) {
  return function toErrorResponse(err: unknown, _request: IRequest, exchange: Exchange): Response {
    exchange.code = err instanceof HttpError ? err.code : 'INTERNAL'
    return errorResponse(err, log, exchange.requestId)
  }
}

/**
 * Every answer names its request; a replayed one says so. While the node stops, every answer to
 * a client closes its connection, also to requests that came in before the stop. An answer that
 * says nothing of caching is kept by none (a backup, a list of users: what a token was shown),
 * and none is sniffed for another type than it says.
 */
export function markAnswer(status: { stopping: boolean }): Finally {
  return function markAnswer(response, _request, exchange) {
    response.headers.set('x-request-id', exchange.requestId)
    if (!response.headers.has('cache-control')) response.headers.set('cache-control', 'no-store')
    if (!response.headers.has('x-content-type-options')) {
      response.headers.set('x-content-type-options', 'nosniff')
    }
    if (exchange.replayed) response.headers.set('idempotent-replayed', 'true')
    if (status.stopping && !exchange.toPeer) response.headers.set('connection', 'close')
    return response
  }
}
