// What the request stages share: one Exchange per request, which they fill in as it passes
// (itty-router hands it to every stage after the request). Handlers never see it: they get the
// Ctx that is made from it (runtime/stages/context.ts).
import type { IRequest } from 'itty-router'
import type { Role } from '../../db/contract/index.ts'

/** The connection a request came on, so that a peer's dropped connection can be noticed. */
export interface PeerConnection {
  /** The address the connection came from (the socket's remote address). */
  readonly address?: string
  from(peer: string): void
  /**
   * Ends the connection at once, mid-answer: a streamed body that cannot go on is then seen as
   * broken off by its client, never as complete.
   */
  cutOff?(): void
}

/** One request on its way through the stages: what they have learnt about it so far. */
export interface Exchange {
  /** performance.now() when it arrived. */
  readonly started: number
  /** Milliseconds from arrival to the answer, once a `finally` stage asked (answeredIn). */
  answeredMs?: number
  /** For the log line and the X-Request-Id answer header (set by withRequestId, the first stage). */
  requestId: string
  /** Addressed to a node-to-node route: under /peer/, where every route is `peer` (load-routes). */
  readonly toPeer: boolean
  readonly connection?: PeerConnection
  /** The Idempotency-Key, for the request's one write (runtime/stages/idempotency.ts). */
  key?: string
  /** The write operation the request sent, if any: one at most. */
  wrote?: string
  /** Its answer was the first outcome of the same key, replayed. */
  replayed: boolean
  /** The node that signed the request, once the signature checked out. */
  peer?: string
  /** The client's address, for the log (runtime/stages/client-address.ts). */
  client?: string
  /** The refusal's code, when the answer is one. */
  code?: string
  /** The holder of the request's API token, once it checked out (client routes). */
  user?: { name: string; role: Role; tokenId: string }
  /** Checks the request's token again, as when it came: for an answer that lasts (a stream). */
  recheck?: () => void | Promise<void>
  /** Signs the answer to a signed request (the peer exchange of runtime/membership/peer-auth). */
  signAnswer?: (response: Response) => Promise<Response>
}

/** A stage before the handler: refuses by throwing, or returns nothing to let the request on. */
export type Stage = (request: IRequest, exchange: Exchange) => void | Promise<void>

/** A stage after the answer is known: returns it, changed or as it was. */
export type Finally = (
  response: Response,
  request: IRequest,
  exchange: Exchange
) => Response | Promise<Response>

/** Milliseconds from the request's arrival to its answer: measured once, by the first to ask. */
export function answeredIn(exchange: Exchange): number {
  return (exchange.answeredMs ??= performance.now() - exchange.started)
}

/** Where the path of an absolute request URL starts, found without parsing it. */
export function pathStart(url: string): number {
  return url.indexOf('/', url.indexOf('//') + 2)
}

const PEER_PREFIX = '/peer/'

/** A new request's exchange: nothing learnt yet but when it came and where it goes. */
export function openExchange(request: Request, connection?: PeerConnection): Exchange {
  return {
    started: performance.now(),
    requestId: '',
    toPeer: request.url.startsWith(PEER_PREFIX, pathStart(request.url)),
    connection,
    replayed: false,
  }
}

/**
 * Stages run in order as one: itty-router awaits every stage it is given, and most of ours are
 * synchronous checks, so here only a stage that returns a promise is awaited. (An await per
 * stage cost each request about 2 µs of CPU, a tenth of the router's own time.)
 */
export function inOrder(stages: Stage[]): Stage {
  const from = (first: number, request: IRequest, exchange: Exchange): void | Promise<void> => {
    for (let i = first; i < stages.length; i++) {
      const result = stages[i](request, exchange)
      if (result instanceof Promise) return result.then(() => from(i + 1, request, exchange))
    }
  }
  return function inOrder(request, exchange) {
    return from(0, request, exchange)
  }
}

/** The `finally` stages in order as one, awaiting only those that return a promise. */
export function inOrderFinally(stages: Finally[]): Finally {
  const from = (first: number, response: Response, request: IRequest, exchange: Exchange) => {
    for (let i = first; i < stages.length; i++) {
      const result = stages[i](response, request, exchange)
      if (result instanceof Promise) {
        return result.then((next): Response | Promise<Response> =>
          from(i + 1, next, request, exchange)
        )
      }
      response = result
    }
    return response
  }
  return function inOrderFinally(response, request, exchange) {
    return from(0, response, request, exchange)
  }
}
