// The runtime's public surface: the only runtime file a handler imports.
import { Response } from '@whatwg-node/server'
import { HttpError, jsonResponse } from './errors.ts'
import { unfailing } from './unfailing.ts'
import type { z } from 'zod'
import type {
  Ctx,
  DeclaredHandler,
  HandlerOptions,
  HandlerRequest,
  Input,
  TextBody,
} from './context.ts'
import {
  isType,
  MAX_BODY_BYTES,
  MAX_ROUTE_BODY_BYTES,
  readJson,
  readQuery,
  readText,
  refuseBody,
  refuseQuery,
} from './input.ts'

export type {
  Ctx,
  Db,
  DeclaredHandler,
  Handler,
  HandlerOptions,
  HandlerRequest,
  NodeIdentity,
  OpenApiDocument,
} from './context.ts'
export type { Access } from './stages/access.ts'
export type { EventFeed } from './event-hub.ts'
export { HttpError, type ErrorCode, type FieldProblem, type HttpErrorOptions } from './errors.ts'
export { readJson, readQuery, validate } from './input.ts'
export { z } from 'zod'
// What handlers need of the network: the membership as they see it, its peer exchanges (each
// defined once, as a zod schema) and how the protocol's refusals read over HTTP.
export {
  answerReserveMs,
  composeStock,
  Cutoff,
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
  samePosition,
  MAX_WAIT_MS,
  type FeedAnswer,
  type HeldReplica,
  type ReplicaHashesAnswer,
  type ReplicaHeadAnswer,
  TRANSFER_MESSAGES,
  TRANSFER_SENT,
  type TransferSentAnswer,
  type LaneStatus,
  type RelayApi,
  type TransferMessagesAnswer,
  keyringMessage,
  type KeyringAnswer,
} from '../network/index.ts'
export { httpErrorOf } from './peer-refusals.ts'
export { newToken } from './tokens.ts'
export { csvRows, parseCsv } from './csv.ts'
export { anySignal } from './signals.ts'

/**
 * Declares a handler, who may call it and what it takes:
 * `export default defineHandler({ access: 'operator', body: movementInput }, async (request, ctx,
 * { body }) => data)`. The declared query and body are validated before the handler runs (a
 * refusal is a 4xx naming the problem) and handed to it; GET /openapi.json is made from the same
 * declarations. Returned data is sent as JSON with 200; return a Response (see `created`) for
 * anything else, throw HttpError to refuse. The scanner refuses a handler that declares no access.
 */
export function defineHandler<
  R,
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  T extends TextBody | undefined = undefined,
>(
  options: HandlerOptions<B, Q, T>,
  handler: (request: HandlerRequest, ctx: Ctx, input: Input<B, Q, T>) => R
): DeclaredHandler<Awaited<R>> {
  const { body, query, text, maxBodyBytes = MAX_BODY_BYTES } = options
  if (maxBodyBytes > MAX_ROUTE_BODY_BYTES) {
    throw new Error(`maxBodyBytes ${maxBodyBytes} is over the cap of ${MAX_ROUTE_BODY_BYTES}`)
  }
  async function declared(request: HandlerRequest, ctx: Ctx): Promise<Awaited<R>> {
    if (options.keyless !== undefined && request.headers.has('idempotency-key')) {
      const route = `${request.method} ${new URL(request.url).pathname}`
      throw new HttpError('BAD_REQUEST', `${route} takes no Idempotency-Key: ${options.keyless}`, {
        details: [{ path: 'Idempotency-Key', message: 'is not taken by this route' }],
      })
    }
    const asText = text && isType(request.headers.get('content-type') ?? '', text.type)
    // What a route does not declare, it does not take: refused, never ignored.
    if (!query) refuseQuery(request)
    if (!body && !text) await refuseBody(request)
    const input = {
      query: query && readQuery(request, query),
      text: asText ? await readText(request, maxBodyBytes) : undefined,
      body: body && !asText ? await readJson(request, body, maxBodyBytes) : undefined,
    } as Input<B, Q, T>
    return await handler(request, ctx, input)
  }
  return Object.assign(declared, options) as DeclaredHandler<Awaited<R>>
}

/** A 201 Created JSON response; the type argument checks the body against the API's shape. */
export function created<T>(body: T, location?: string): Response {
  return jsonResponse(body, 201, location ? { location } : undefined)
}

/**
 * A response whose body is written as it goes (server-sent events, an export), with the headers
 * given. A body whose read fails ends with the connection cut off (`ctx.cutOff`): its client sees
 * the answer broken off, never as complete, and the failure never reaches the HTTP server, whose
 * pipe of the body has no error handler (a failed read there took the node's process down).
 */
export function stream(
  body: ReadableStream<Uint8Array>,
  headers: Record<string, string>,
  cutOff: () => void
): Response {
  return new Response(unfailing(body, cutOff), { status: 200, headers })
}

/** A JSON response with any status. */
export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return jsonResponse(body, status, headers)
}

/** A text response: the body as given (text, or its UTF-8 bytes), with its content type. */
export function text(body: string | Uint8Array, contentType: string, status = 200): Response {
  // A Buffer's type allows a SharedArrayBuffer under it, which BodyInit's does not; ours never is.
  const init = body as string | Uint8Array<ArrayBuffer>
  return new Response(init, { status, headers: { 'content-type': contentType } })
}

/** An HTML page, which may load nothing from anywhere (no script, its style inline). */
export function html(body: string): Response {
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    },
  })
}
export { webAsset, webPage } from './web-assets.ts'
