// The node's fetch function: the handlers' routes, behind the request stages of runtime/stages/,
// composed as itty-router composes them: `before` every route, a route's own stages and its
// handler, one `catch`, and `finally` the stages that see every answer.
import { pathToFileURL } from 'node:url'
import { Response } from '@whatwg-node/server'
import { Router, type IRequest } from 'itty-router'
import type { Result } from '../db/contract/index.ts'
import type { Handler, OpenApiDocument } from './context.ts'
import type { DbClient } from './db-client.ts'
import { HttpError } from './errors.ts'
import type { HostNames } from './host-names.ts'
import { MAX_BODY_BYTES } from './input.ts'
import { NodeMetrics } from './metrics.ts'
import type { MembershipApi, PeerAuth } from '../network/index.ts'
import { openApiDocument } from './openapi.ts'
import { ScanError, scanHandlers, type RouteFile } from './scan.ts'
import { TokenHolders } from './tokens.ts'
import { ACCESS, accessStages, signPeerAnswer, type Access } from './stages/access.ts'
import {
  inOrder,
  inOrderFinally,
  openExchange,
  type Exchange,
  type PeerConnection,
  type Stage,
} from './stages/exchange.ts'
import {
  changesState,
  guardHost,
  guardOrigin,
  guardStopping,
  requireJson,
  requireJsonOr,
} from './stages/guards.ts'
import { withClientAddress } from './stages/client-address.ts'
import { withIdempotencyKey } from './stages/idempotency.ts'
import { decodeParams, invoke, type ContextServices } from './stages/invoke.ts'
import { countRequest } from './stages/count-request.ts'
import { logLine } from './stages/log-line.ts'
import { withRequestId } from './stages/request-id.ts'
import { markAnswer, toErrorResponse, toResponse } from './stages/respond.ts'
import { QueueWaiters } from './queue-signals.ts'

export type { PeerConnection } from './stages/exchange.ts'

export interface LoadedRoute extends RouteFile {
  handler: Handler
  access: Access
}

/** Node-to-node routes live under /peer/, and only they: the stages before routing rely on it. */
const PEER_PATH = /^\/peer(\/|$)/

/** Why a route's declared access cannot be served, naming its file; undefined when it can. */
function accessProblem(route: RouteFile, access: unknown): string | undefined {
  const where = `handlers/${route.file}`
  if (!(ACCESS as readonly unknown[]).includes(access)) {
    return (
      `${where} must declare who may call it: export default defineHandler({ access: 'viewer' }, ` +
      `async (request, ctx) => …) (access is one of ${ACCESS.join(', ')})`
    )
  }
  const underPeer = PEER_PATH.test(route.path)
  if (access === 'peer' && !underPeer)
    return `${where} declares access 'peer': node-to-node routes belong under handlers/peer/`
  if (underPeer && access !== 'peer')
    return `${where} is under /peer/, where every route is node-to-node: declare access 'peer'`
}

/**
 * Scans a handlers folder and imports every handler, refusing (naming the file) one without a
 * default function or without its access declared.
 */
export async function loadRoutes(dir: string): Promise<LoadedRoute[]> {
  const routes = await scanHandlers(dir)
  return Promise.all(
    routes.map(async (route) => {
      const module = await import(pathToFileURL(route.absolute).href)
      const handler = module.default
      if (typeof handler !== 'function') {
        throw new ScanError(
          `handlers/${route.file}: the default export must be a handler (export default defineHandler(...))`
        )
      }
      const problem = accessProblem(route, handler.access)
      if (problem) throw new ScanError(problem)
      return { ...route, handler: handler as Handler, access: handler.access as Access }
    })
  )
}

export interface AppServices extends Omit<ContextServices, 'metrics'> {
  membership: MembershipApi
  /** The node's figures, kept across the apps of a restore; a test's app has its own. */
  metrics?: NodeMetrics
  /** Checks what peers send to /peer/ routes; without it (a test's app) they are refused. */
  peerAuth?: PeerAuth
  /** The host names this node answers to; without them (a test's app) any Host is served. */
  names?: HostNames
  /** Reverse proxies whose X-Forwarded-For the log believes (--trusted-proxies). */
  trustedProxies?: readonly string[]
  /** Set once the node starts to stop: clients are turned away, peers still served. */
  status?: { stopping: boolean }
}

/** The routes that catch what no handler's route matched. */
const CATCH_ALL = ['/peer/*', '*']

/** 404, or 405 with the methods the path has; OPTIONS answers with them. */
function noRoute(routes: [string, RegExp, ...unknown[]][]) {
  return function noRoute(request: IRequest): Response {
    const { pathname } = new URL(request.url)
    const allowed = new Set<string>()
    for (const [method, pattern] of routes) {
      if (method !== 'ALL' && pattern.test(pathname)) allowed.add(method)
    }
    if (allowed.size === 0) throw new HttpError('NOT_FOUND', `No route for ${pathname}`)
    const allow = [...allowed, 'OPTIONS'].join(', ')
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: { allow } })
    throw new HttpError(
      'METHOD_NOT_ALLOWED',
      `${request.method} is not allowed on ${pathname}; use ${allow}`,
      { headers: { allow } }
    )
  }
}

/** Who holds a token, as the worker says: the runtime's own question, with no request's key. */
function holdersOf(client: DbClient): TokenHolders {
  return new TokenHolders(async (hash) => {
    const { data } = await client.call('tokens.lookup', { hash })
    return (data as Result<'tokens.lookup'>).holder
  })
}

/**
 * The largest body a request may declare, by its method and path: MAX_BODY_BYTES, or what its
 * route declares (maxBodyBytes). The HTTP server refuses a larger one before reading a byte.
 */
export function bodyLimits(routes: LoadedRoute[]): (method: string, path: string) => number {
  const larger = routes.flatMap((route) => {
    const limit = (route.handler as { maxBodyBytes?: number }).maxBodyBytes
    if (limit === undefined || limit <= MAX_BODY_BYTES) return []
    const pattern = route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')
    return [{ method: route.method.toUpperCase(), path: new RegExp(`^${pattern}$`), limit }]
  })
  return function bodyLimit(method, path) {
    const route = larger.find((r) => r.method === method && r.path.test(path))
    return route?.limit ?? MAX_BODY_BYTES
  }
}

/** Builds the node's fetch function: the request stages around every route's handler. */
export function createApp(routes: LoadedRoute[], given: AppServices) {
  const services = {
    ...given,
    metrics: given.metrics ?? new NodeMetrics(),
    holders: given.holders ?? holdersOf(given.db),
    queues: given.queues ?? new QueueWaiters(),
  }
  const status = services.status ?? { stopping: false }
  const before: Stage[] = [withRequestId, withClientAddress(services.trustedProxies)]
  if (services.names) before.push(guardHost(services.names))
  before.push(guardStopping(status), guardOrigin, withIdempotencyKey)
  const router = Router<IRequest, [Exchange]>({
    before: [inOrder(before)],
    catch: toErrorResponse(services.log),
    finally: [
      inOrderFinally([
        toResponse,
        signPeerAnswer,
        markAnswer(status),
        countRequest(services.metrics, CATCH_ALL),
        logLine(services.log),
      ]),
    ],
  })
  const access = accessStages(services.peerAuth, services.holders)
  let document: OpenApiDocument | undefined
  const openapi = () => (document ??= openApiDocument(routes, services.node.version))
  const context = { ...services, openapi }
  for (const route of routes) {
    // After the route is known: a wrong method gets its 405, an unknown path its 404.
    const stages: Stage[] = [...access[route.access]]
    const { text } = route.handler as { text?: { type: string } }
    if (changesState(route.method.toUpperCase()))
      stages.push(text ? requireJsonOr(text.type) : requireJson)
    const before = inOrder([...stages, decodeParams])
    const answer = invoke(route.handler, context)
    router[route.method](route.path, before, answer)
    if (route.method === 'get') router.head(route.path, before, headOnly(answer))
  }
  // A peer is answered, signed, even about a route this node does not have (an older version).
  const [peerCatchAll, catchAll] = CATCH_ALL
  router.all(peerCatchAll, inOrder(access.peer), noRoute(router.routes))
  router.all(catchAll, noRoute(router.routes))

  return function handle(request: Request, connection?: PeerConnection): Promise<Response> {
    return router.fetch(request, openExchange(request, connection))
  }
}

/**
 * A GET route answering HEAD: its status and headers without its body. A body written as it goes
 * (an event stream never ends) is cancelled at once, so a HEAD neither hangs nor holds one of
 * its user's stream slots; a JSON answer's body node:http leaves out by itself.
 */
function headOnly(
  answer: (request: IRequest, exchange: Exchange) => Promise<unknown>
): (request: IRequest, exchange: Exchange) => Promise<unknown> {
  return async (request, exchange) => {
    const result = await answer(request, exchange)
    if (!(result instanceof Response) || result.body === null) return result
    await result.body.cancel()
    return new Response(null, { status: result.status, headers: result.headers })
  }
}
