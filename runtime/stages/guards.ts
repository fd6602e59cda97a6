// The stages that guard the door, before any route: who may ask (Host, Origin), in what form
// (JSON, once the route is known), and when (not while the node stops). Each refuses by throwing
// an HttpError; each is a few string comparisons, since every request passes through them.
import { HttpError } from '../errors.ts'
import { hostOfHeader, type HostNames } from '../host-names.ts'
import { isJsonType, isType } from '../input.ts'
import type { Stage } from './exchange.ts'

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** True for the methods that change something: those a web page must not send. */
export function changesState(method: string): boolean {
  return STATE_CHANGING.has(method)
}

/**
 * DNS rebinding: a page at evil.example whose name is made to resolve to this machine reaches the
 * node as its own origin; only the Host header gives it away. A request without a Host (HTTP/1.0)
 * comes from no browser, and is served.
 */
export function checkHost(request: Request, names: HostNames): void {
  const host = request.headers.get('host')
  if (host === null || names.allowsHeader(host)) return
  throw new HttpError(
    'HOST_NOT_ALLOWED',
    `Requests for host ${hostOfHeader(host)} are refused: this node answers to localhost, its own ` +
      'addresses and host name, its advertised address, and the names in --allowed-hosts ' +
      '(ALMACEN_ALLOWED_HOSTS, comma-separated); add this name there if clients reach the node by it'
  )
}

/**
 * Cross-site requests: a browser names the page that sends a request in Origin. A request that
 * changes something must come from no page at all (curl, the client, a peer) or from this node's
 * own origin, the scheme and the Host it was reached by.
 */
export function checkOrigin(request: Request): void {
  if (!changesState(request.method)) return
  const origin = request.headers.get('origin')
  if (origin === null) return
  const host = request.headers.get('host')
  const own = origin.slice(origin.indexOf('//') + 2)
  if (host !== null && /^https?:\/\//i.test(origin) && own.toLowerCase() === host.toLowerCase())
    return
  throw new HttpError(
    'ORIGIN_NOT_ALLOWED',
    `${request.method} from a web page at ${origin} is refused: only the node's own pages may ` +
      'change it'
  )
}

/**
 * A route stage for every route that changes something: its request must say it is JSON, even
 * with no body (an empty one is fine). Other types (text/plain, forms, none) are what any web page
 * can send to any address without asking first (no CORS preflight): refused with 415.
 */
export function requireJson(request: Request): undefined {
  const type = request.headers.get('content-type')
  if (type !== null && isJsonType(type)) return undefined
  throw new HttpError(
    'UNSUPPORTED_MEDIA_TYPE',
    `${request.method} ${new URL(request.url).pathname} must be sent as application/json` +
      `${type ? `, not ${type}` : ' (no Content-Type was given)'}; an empty body is fine. Other ` +
      'types are refused so that web pages cannot send requests to the node'
  )
}

/**
 * requireJson for a route that also takes a text type (text/csv). Not one a page can send
 * without asking first: only text/plain, forms and multipart are (CORS "simple" types).
 */
export function requireJsonOr(textType: string): Stage {
  return function requireJsonOrText(request) {
    const type = request.headers.get('content-type')
    if (type !== null && (isJsonType(type) || isType(type, textType))) return
    throw new HttpError(
      'UNSUPPORTED_MEDIA_TYPE',
      `${request.method} ${new URL(request.url).pathname} must be sent as application/json or ` +
        `${textType}${type ? `, not ${type}` : ' (no Content-Type was given)'}`
    )
  }
}

/** What the node tells clients while it stops: go elsewhere, or come back after the restart. */
export function refuseWhileStopping(): never {
  throw new HttpError('NODE_STOPPING', 'This node is stopping; try again in a few seconds', {
    headers: { 'retry-after': '2', connection: 'close' },
  })
}

/** Clients must name this node by one of its names; peers sign their requests instead. */
export function guardHost(names: HostNames): Stage {
  return function guardHost(request, exchange) {
    if (!exchange.toPeer) checkHost(request, names)
  }
}

/**
 * Clients are turned away once the node stops; peers are still served, so that they hear it
 * leave rather than see it fail.
 */
export function guardStopping(status: { stopping: boolean }): Stage {
  return function guardStopping(_request, exchange) {
    if (status.stopping && !exchange.toPeer) refuseWhileStopping()
  }
}

export const guardOrigin: Stage = function guardOrigin(request) {
  checkOrigin(request)
}
