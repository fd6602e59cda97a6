import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Response } from '@whatwg-node/server'
import { Router, type IRequest } from 'itty-router'
import type { Logger } from 'pino'
import type { Ctx, Handler, NodeIdentity } from './context.ts'
import type { DbClient } from './db-client.ts'
import { HttpError, errorResponse, jsonResponse } from './errors.ts'
import type { HostNames } from './host-names.ts'
import { readText } from './input.ts'
import { httpErrorOf } from './peer-refusals.ts'
import type { MembershipApi, PeerAuth, PeerExchange } from '../network/index.ts'
import { ScanError, scanHandlers, type RouteFile } from './scan.ts'
import {
  changesState,
  checkHost,
  checkOrigin,
  pathStart,
  refuseWhileStopping,
  requireJson,
} from './stages.ts'

export interface LoadedRoute extends RouteFile {
  handler: Handler
}

/** Scans a handlers folder and imports every handler, refusing a file without a default function. */
export async function loadRoutes(dir: string): Promise<LoadedRoute[]> {
  const routes = await scanHandlers(dir)
  return Promise.all(
    routes.map(async (route) => {
      const module = await import(pathToFileURL(route.absolute).href)
      if (typeof module.default !== 'function') {
        throw new ScanError(
          `handlers/${route.file}: the default export must be a handler (export default defineHandler(...))`
        )
      }
      return { ...route, handler: module.default as Handler }
    })
  )
}

export interface AppServices {
  db: DbClient
  log: Logger
  node: NodeIdentity
  membership: MembershipApi
  /** Checks what peers send to /peer/ routes; without it (a test's app) they are refused. */
  peerAuth?: PeerAuth
  /** The host names this node answers to; without them (a test's app) any Host is served. */
  names?: HostNames
  /** Set once the node starts to stop: clients are turned away, peers still served. */
  status?: { stopping: boolean }
}

const PEER_PREFIX = '/peer/'

/** The connection a request came on, so that a peer's dropped connection can be noticed. */
export interface PeerConnection {
  from(peer: string): void
}

/**
 * Node-to-node requests must be signed with the cluster key, for this node, fresh and not seen
 * before; returns the signer's id. `exchange` then signs the answer (network/transport/peer-auth).
 */
async function authenticatePeer(exchange: PeerExchange, request: Request): Promise<string> {
  const body = await readText(request)
  try {
    return exchange.admit(body)
  } catch (err) {
    throw httpErrorOf(err)
  }
}

const REQUEST_ID = /^[\w.:-]{1,64}$/
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/

function patternOf(path: string): RegExp {
  return new RegExp(`^${path.replace(/:[^/]+/g, '[^/]+')}/?$`)
}

function decodeParams(request: IRequest): void {
  for (const [name, value] of Object.entries(request.params)) {
    try {
      request.params[name] = decodeURIComponent(value)
    } catch {
      throw new HttpError(
        400,
        'BAD_REQUEST',
        `The ${name} in the path is not valid percent-encoding`
      )
    }
  }
}

function toResponse(result: unknown): Response {
  if (result instanceof Response || result instanceof globalThis.Response) return result as Response
  return jsonResponse(result)
}

/** Builds the node's fetch function: routes, context, the one catch, and a log line per request. */
export function createApp(routes: LoadedRoute[], services: AppServices) {
  const router = Router<IRequest, [Ctx]>()
  const methodsByPattern = new Map<string, { pattern: RegExp; methods: Set<string> }>()
  for (const route of routes) {
    // Checked once the route is known: a wrong method gets its 405, an unknown path its 404.
    const needsJson = changesState(route.method.toUpperCase())
    const invoke = async (request: IRequest, ctx: Ctx) => {
      if (needsJson) requireJson(request)
      decodeParams(request)
      // itty-router reads undefined as "not handled" and would try the next route.
      return (await route.handler(request, ctx)) ?? new Response(null, { status: 204 })
    }
    router[route.method](route.path, invoke)
    if (route.method === 'get') router.head(route.path, invoke)
    const entry = methodsByPattern.get(route.path) ?? {
      pattern: patternOf(route.path),
      methods: new Set(),
    }
    entry.methods.add(route.method.toUpperCase())
    if (route.method === 'get') entry.methods.add('HEAD')
    methodsByPattern.set(route.path, entry)
  }
  const status = services.status ?? { stopping: false }
  router.all('*', function noRoute(request: IRequest) {
    const { pathname } = new URL(request.url)
    const allowed = new Set<string>()
    for (const { pattern, methods } of methodsByPattern.values()) {
      if (pattern.test(pathname)) for (const m of methods) allowed.add(m)
    }
    if (allowed.size === 0) throw new HttpError(404, 'NOT_FOUND', `No route for ${pathname}`)
    const allow = [...allowed, 'OPTIONS'].join(', ')
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: { allow } })
    throw new HttpError(
      405,
      'METHOD_NOT_ALLOWED',
      `${request.method} is not allowed on ${pathname}; use ${allow}`,
      undefined,
      { allow }
    )
  })

  return async function handle(request: Request, connection?: PeerConnection): Promise<Response> {
    const started = performance.now()
    const offered = request.headers.get('x-request-id')
    const requestId = offered && REQUEST_ID.test(offered) ? offered : randomUUID()
    let replayed = false
    let response: Response
    let exchange: PeerExchange | undefined
    // Peers sign their requests, and keep being answered while this node leaves the network.
    const toPeer = request.url.startsWith(PEER_PREFIX, pathStart(request.url))
    try {
      if (services.names && !toPeer) checkHost(request, services.names)
      if (status.stopping && !toPeer) refuseWhileStopping()
      checkOrigin(request)
      const key = request.headers.get('idempotency-key') ?? undefined
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
        throw new HttpError(
          400,
          'VALIDATION_FAILED',
          'Idempotency-Key must be 1-200 visible ASCII characters',
          [{ path: 'Idempotency-Key', message: 'must be 1-200 visible ASCII characters' }]
        )
      }
      let peer: string | undefined
      if (toPeer) {
        if (!services.peerAuth) {
          throw new HttpError(401, 'UNAUTHENTICATED', 'This node takes no node-to-node requests')
        }
        exchange = services.peerAuth.exchange(request, new URL(request.url).pathname)
        peer = await authenticatePeer(exchange, request)
        connection?.from(peer)
      }
      let log: Logger | undefined
      const ctx: Ctx = {
        requestId,
        node: services.node,
        membership: services.membership,
        peer,
        get log() {
          return (log ??= services.log.child({ requestId }))
        },
        db: {
          async send(op, payload, options) {
            try {
              const reply = await services.db.call(op, payload, {
                key,
                timeoutMs: options?.timeoutMs,
              })
              replayed ||= reply.replayed
              return reply.data as never
            } catch (err) {
              replayed ||= (err as { replayed?: boolean }).replayed === true
              throw err
            }
          },
        },
      }
      response = toResponse(await router.fetch(request, ctx))
    } catch (err) {
      response = errorResponse(err, services.log, requestId)
    }
    if (exchange) response = await exchange.answer(response)
    response.headers.set('x-request-id', requestId)
    if (replayed) response.headers.set('idempotent-replayed', 'true')
    // Also on answers to requests that came in before the stop: no connection is kept.
    if (status.stopping && !toPeer) response.headers.set('connection', 'close')
    // Node-to-node traffic (a few messages a second) would drown the log: it is debug. So is a
    // client that hung up mid-request: one line each, and nobody to answer.
    const clientClosed = response.status === 499
    const level = (toPeer && response.status < 400) || clientClosed ? 'debug' : 'info'
    services.log[level](
      {
        requestId,
        method: request.method,
        url: request.url.slice(request.url.indexOf('/', 8)),
        status: response.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      clientClosed ? 'client closed the request' : 'request'
    )
    return response
  }
}
