// The last stages of a route: its path parameters decoded, then its handler called with the
// context made from what the stages before it learnt.
import { Response } from '@whatwg-node/server'
import type { IRequest } from 'itty-router'
import type { Logger } from 'pino'
import type { Ctx, Handler, NodeIdentity, OpenApiDocument } from '../context.ts'
import type { DbClient } from '../db-client.ts'
import type { NodeMetrics } from '../metrics.ts'
import { HttpError } from '../errors.ts'
import type { Exchange, Stage } from './exchange.ts'
import { requestDb } from './idempotency.ts'
import type { TokenHolders } from '../tokens.ts'
import { forgettingHolders } from './forget-tokens.ts'
import { LATE_COMMIT_WAKES_MS, wakingRelay } from './wake-relay.ts'
import { wakingQueues } from './wake-queues.ts'
import { QueueWaiters } from '../queue-signals.ts'

/** What the runtime gives every handler, whatever the request. */
export interface ContextServices {
  db: DbClient
  log: Logger
  node: NodeIdentity
  membership: Ctx['membership']
  events: Ctx['events']
  /** Who holds which API token, as remembered (runtime/tokens.ts); made by createApp. */
  holders?: TokenHolders
  metrics: NodeMetrics
  /** A test's app may have none: it follows no peer. */
  replication?: Ctx['replication']
  /** The transfers' outbox relay; a test's app may have none (nothing is carried). */
  relay?: Ctx['relay']
  /** The network's questions to other members; an app without them (a test's) refuses them. */
  peers?: Ctx['peers']
  /** A restore of the running node; an app without it (a test's) refuses it. */
  restore?: Ctx['restore']
  /** The routes' OpenAPI document (createApp makes it from the routes it serves). */
  openapi?: () => OpenApiDocument
  /** The node's backups; an app without them (a test's) refuses them. */
  backups?: Ctx['backups']
  /** The cluster keys across the members; an app without them (a test's) refuses them. */
  keys?: Ctx['keys']
  /** The queues' waiting receives (createApp makes them). */
  queues?: Ctx['queues']
  /** How late the process's timers fire (runtime/timer-lateness.ts); a test's app says 0. */
  timersLateMs?: () => number
}

const withoutNetwork = () =>
  Promise.reject(new HttpError('NOT_READY', 'This node was started without its peer network'))
// No peer answers a node without a network: a receipt of an id unknown here is taken on trust.
const NO_PEERS: Ctx['peers'] = { stock: withoutNetwork, transferSent: async () => null }
const NEVER_LATE = () => 0
const NO_RESTORE: Ctx['restore'] = withoutNetwork
const NO_KEYS: Ctx['keys'] = {
  report: withoutNetwork,
  install: withoutNetwork,
  use: withoutNetwork,
  remove: withoutNetwork,
  receive: withoutNetwork,
}

const noBackups = () =>
  Promise.reject(new HttpError('NOT_READY', 'This node was started without backups'))
const NO_BACKUPS: Ctx['backups'] = { take: noBackups, list: noBackups, download: noBackups }

/** A test's context with no app: nobody waits on a queue there. */
const NO_WAITERS: Ctx['queues'] = new QueueWaiters()

const NO_REPLICATION: Ctx['replication'] = {
  peers: () => [],
  refollow: () => undefined,
  witness: async () => ({
    available: false,
    witnesses: [],
    summary: 'no witness available: this node runs without its peer network',
  }),
}

const NO_DOCUMENT: Ctx['openapi'] = () => {
  throw new HttpError('NOT_READY', 'This node was started without its API document')
}

const NO_RELAY: Ctx['relay'] = { wake: () => undefined, peers: () => [] }

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
    metrics: services.metrics,
    replication: services.replication ?? NO_REPLICATION,
    relay: services.relay ?? NO_RELAY,
    peers: services.peers ?? NO_PEERS,
    restore: services.restore ?? NO_RESTORE,
    openapi: services.openapi ?? NO_DOCUMENT,
    backups: services.backups ?? NO_BACKUPS,
    keys: services.keys ?? NO_KEYS,
    queues: services.queues ?? NO_WAITERS,
    peer: exchange.peer,
    user: exchange.user,
    stillAdmitted: async () => {
      await exchange.recheck?.()
    },
    cutOff: () => exchange.connection?.cutOff?.(),
    timersLateMs: services.timersLateMs ?? NEVER_LATE,
    get log() {
      return (log ??= services.log.child({ requestId: exchange.requestId }))
    },
    db: databaseOf(exchange, services),
  }
}

/** The database as the handler sees it: its request's key, and the runtime told of its writes. */
function databaseOf(exchange: Exchange, services: ContextServices): Ctx['db'] {
  let db = requestDb(services.db, exchange)
  if (services.relay) db = wakingRelay(db, services.relay)
  if (services.holders) db = forgettingHolders(db, services.holders, LATE_COMMIT_WAKES_MS)
  if (services.queues) db = wakingQueues(db, services.queues, LATE_COMMIT_WAKES_MS)
  return db
}

/** Calls the handler. Nothing returned is 204: itty-router would read it as "not handled". */
export function invoke(handler: Handler, services: ContextServices) {
  return async function invoke(request: IRequest, exchange: Exchange): Promise<unknown> {
    const result = await handler(request, contextOf(exchange, services))
    return result ?? new Response(null, { status: 204 })
  }
}
