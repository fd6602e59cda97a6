// The node's fetch function: the handlers' routes, behind the request stages of runtime/stages/,
// composed as itty-router composes them: `before` every route, a route's own stages and its
// handler, one `catch`, and `finally` the stages that see every answer.
import { pathToFileURL } from 'node:url'
import { Response } from '@whatwg-node/server'
import { Router, type IRequest } from 'itty-router'
import type { Handler } from './context.ts'
import { HttpError } from './errors.ts'
import type { HostNames } from './host-names.ts'
import type { MembershipApi, PeerAuth } from '../network/index.ts'
import { ScanError, scanHandlers, type RouteFile } from './scan.ts'
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
} from './stages/guards.ts'
import { withIdempotencyKey } from './stages/idempotency.ts'
import { decodeParams, invoke, type ContextServices } from './stages/invoke.ts'
import { logLine } from './stages/log-line.ts'
import { withRequestId } from './stages/request-id.ts'
import { markAnswer, toErrorResponse, toResponse } from './stages/respond.ts'

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
      `${where} must declare who may call it: export default defineHandler({ access: 'public' }, ` +
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

export interface AppServices extends ContextServices {
  membership: MembershipApi
  /** Checks what peers send to /peer/ routes; without it (a test's app) they are refused. */
  peerAuth?: PeerAuth
  /** The host names this node answers to; without them (a test's app) any Host is served. */
  names?: HostNames
  /** Set once the node starts to stop: clients are turned away, peers still served. */
  status?: { stopping: boolean }
}

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

/** Builds the node's fetch function: the request stages around every route's handler. */
export function createApp(routes: LoadedRoute[], services: AppServices) {
  const status = services.status ?? { stopping: false }
  const before: Stage[] = [withRequestId]
  if (services.names) before.push(guardHost(services.names))
  before.push(guardStopping(status), guardOrigin, withIdempotencyKey)
  const router = Router<IRequest, [Exchange]>({
    before: [inOrder(before)],
    catch: toErrorResponse(services.log),
    finally: [
      inOrderFinally([toResponse, signPeerAnswer, markAnswer(status), logLine(services.log)]),
    ],
  })
  const access = accessStages(services.peerAuth)
  for (const route of routes) {
    // After the route is known: a wrong method gets its 405, an unknown path its 404.
    const stages: Stage[] = [...access[route.access]]
    if (changesState(route.method.toUpperCase())) stages.push(requireJson)
    const chain = [inOrder([...stages, decodeParams]), invoke(route.handler, services)]
    router[route.method](route.path, ...chain)
    if (route.method === 'get') router.head(route.path, ...chain)
  }
  // A peer is answered, signed, even about a route this node does not have (an older version).
  router.all('/peer/*', inOrder(access.peer), noRoute(router.routes))
  router.all('*', noRoute(router.routes))

  return function handle(request: Request, connection?: PeerConnection): Promise<Response> {
    return router.fetch(request, openExchange(request, connection))
  }
}
