// The runtime's public surface: the only runtime file a handler imports.
import { Response } from '@whatwg-node/server'
import { jsonResponse } from './errors.ts'
import type { Ctx, DeclaredHandler, HandlerOptions, HandlerRequest } from './context.ts'

export type {
  Ctx,
  Db,
  DeclaredHandler,
  Handler,
  HandlerOptions,
  HandlerRequest,
  NodeIdentity,
} from './context.ts'
export type { Access } from './stages/access.ts'
export type { EventFeed } from './event-hub.ts'
export { HttpError, type ErrorCode, type FieldProblem, type HttpErrorOptions } from './errors.ts'
export { readJson, readQuery, validate } from './input.ts'
export { z } from 'zod'
// What handlers need of the network: the membership as they see it, its peer exchanges (each
// defined once, as a zod schema) and how the protocol's refusals read over HTTP.
export {
  composeStock,
  memberAddress,
  messageSchema,
  MAX_FIGURES,
  stockAsk,
  type MembershipApi,
  type PeerStock,
  type ReplicaFigures,
  type StockAnswer,
  type WarehouseOutcome,
  type PeerKind,
  type PeerMessage,
  REPLICATION_MESSAGES,
  MAX_WAIT_MS,
  type FeedAnswer,
  type HeldReplica,
  type ReplicaHashesAnswer,
  type ReplicaHeadAnswer,
} from '../network/index.ts'
export { httpErrorOf } from './peer-refusals.ts'

/**
 * Declares a handler and who may call it:
 * `export default defineHandler({ access: 'public' }, async (request, ctx) => data)`.
 * Returned data is sent as JSON with 200; return a Response (see `created`) for anything else,
 * throw HttpError to refuse. The scanner refuses a handler that declares no access.
 */
export function defineHandler<R>(
  options: HandlerOptions,
  handler: (request: HandlerRequest, ctx: Ctx) => R
): DeclaredHandler<R> {
  return Object.assign(handler, { access: options.access })
}

/** A 201 Created JSON response; the type argument checks the body against the API's shape. */
export function created<T>(body: T, location?: string): Response {
  return jsonResponse(body, 201, location ? { location } : undefined)
}

/** A response whose body is written as it goes (server-sent events), with the headers given. */
export function stream(
  body: ReadableStream<Uint8Array>,
  headers: Record<string, string>
): Response {
  return new Response(body, { status: 200, headers })
}

/** A JSON response with any status. */
export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return jsonResponse(body, status, headers)
}
