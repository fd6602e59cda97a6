// The last stages of a route: its path parameters decoded, then its handler called with the
// context made from what the stages before it learnt.
import { Response } from '@whatwg-node/server'
import type { IRequest } from 'itty-router'
import type { Logger } from 'pino'
import type { Ctx, Handler, NodeIdentity } from '../context.ts'
import type { DbClient } from '../db-client.ts'
import { HttpError } from '../errors.ts'
import type { Exchange, Stage } from './exchange.ts'
import { requestDb } from './idempotency.ts'

/** What the runtime gives every handler, whatever the request. */
export interface ContextServices {
  db: DbClient
  log: Logger
  node: NodeIdentity
  membership: Ctx['membership']
  events: Ctx['events']
  /** A test's app may have none: it follows no peer. */
  replication?: Ctx['replication']
  /** The network's questions to other members; an app without them (a test's) refuses them. */
  peers?: Ctx['peers']
  /** A restore of the running node; an app without it (a test's) refuses it. */
  restore?: Ctx['restore']
}

const NO_PEERS: Ctx['peers'] = {
  stock: () =>
    Promise.reject(new HttpError('NOT_READY', 'This node was started without its peer network')),
}

const NO_RESTORE: Ctx['restore'] = () =>
  Promise.reject(new HttpError('NOT_READY', 'This node was started without its peer network'))

const NO_REPLICATION: Ctx['replication'] = {
  peers: () => [],
  witness: async () => ({
    available: false,
    witnesses: [],
    summary: 'no witness available: this node runs without its peer network',
  }),
}

export const decodeParams: Stage = function decodeParams(request) {
  for (const [name, value] of Object.entries(request.params)) {
    try {
      request.params[name] = decodeURIComponent(value)
    } catch {
      throw new HttpError('BAD_REQUEST', `The ${name} in the path is not valid percent-encoding`)
    }
  }
}

/** A handler's view of its request's exchange: the runtime's services and what was learnt. */
function contextOf(exchange: Exchange, services: ContextServices): Ctx {
  let log: Logger | undefined
  return {
    requestId: exchange.requestId,
    node: services.node,
    membership: services.membership,
    events: services.events,
    replication: services.replication ?? NO_REPLICATION,
    peers: services.peers ?? NO_PEERS,
    restore: services.restore ?? NO_RESTORE,
    peer: exchange.peer,
    get log() {
      return (log ??= services.log.child({ requestId: exchange.requestId }))
    },
    db: requestDb(services.db, exchange),
  }
}

/** Calls the handler. Nothing returned is 204: itty-router would read it as "not handled". */
export function invoke(handler: Handler, services: ContextServices) {
  return async function invoke(request: IRequest, exchange: Exchange): Promise<unknown> {
    const result = await handler(request, contextOf(exchange, services))
    return result ?? new Response(null, { status: 204 })
  }
}
