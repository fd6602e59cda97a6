// The runtime's public surface: the only runtime file a handler imports.
import { jsonResponse } from './errors.ts'
import type { Ctx, HandlerRequest } from './context.ts'

export type { Ctx, Db, Handler, HandlerRequest, NodeIdentity } from './context.ts'
export { HttpError, type FieldProblem } from './errors.ts'
export { readJson, readQuery, validate } from './input.ts'
export { z } from 'zod'
// What handlers need of the network: the membership as they see it, its peer exchanges (each
// defined once, as a zod schema) and how the protocol's refusals read over HTTP.
export {
  memberAddress,
  messageSchema,
  type MembershipApi,
  type PeerKind,
  type PeerMessage,
} from '../network/index.ts'
export { httpErrorOf } from './peer-refusals.ts'

/**
 * Declares a handler: `export default defineHandler(async (request, ctx) => data)`. Returned data
 * is sent as JSON with 200; return a Response (see `created`) for anything else, throw HttpError
 * to refuse.
 */
export function defineHandler<R>(
  handler: (request: HandlerRequest, ctx: Ctx) => R
): (request: HandlerRequest, ctx: Ctx) => R {
  return handler
}

/** A 201 Created JSON response. */
export function created(body: unknown, location?: string): Response {
  return jsonResponse(body, 201, location ? { location } : undefined)
}

/** A JSON response with any status. */
export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return jsonResponse(body, status, headers)
}
