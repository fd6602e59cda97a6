import type { IRequest } from 'itty-router'
import type { Logger } from 'pino'
import type { OpName, Payload, RestoreReport, Result } from '../db/contract/index.ts'
import type { MembershipApi, PeerStock, ReplicationApi } from '../network/index.ts'
import type { EventFeed } from './event-hub.ts'
import type { Access } from './stages/access.ts'

/** Who this node is, as handlers see it. */
export interface NodeIdentity {
  id: string
  name: string
  version: string
  startedAt: string
}

/** The database as a handler sees it: typed messages to the worker, nothing else. */
export interface Db {
  send<O extends OpName>(
    op: O,
    payload: Payload<O>,
    options?: { timeoutMs?: number }
  ): Promise<Result<O>>
}

/** What the runtime hands every handler besides the request. */
export interface Ctx {
  db: Db
  log: Logger
  requestId: string
  node: NodeIdentity
  /** This node's membership of the peer network (network/membership/api.ts). */
  membership: MembershipApi
  /** Questions to the other members, under a deadline: company-wide stock. */
  peers: PeerStock
  /** The node's event log as it grows: its head, and a wait for what comes next. */
  events: EventFeed
  /** This node's replicas of its peers' logs, as their pullers see them now. */
  replication: ReplicationApi
  /**
   * Rebuilds this node's ledger (it holds no movement or item) from its peers' replicas, as the
   * node `nodeId` or the one they know by this node's name; the node serves again once verified.
   */
  restore(nodeId?: string): Promise<RestoreReport>
  /** On node-to-node routes (/peer/…): the id of the node that signed the request. */
  peer?: string
}

/** The request as handlers see it: a fetch Request plus itty's decoded `params` and `query`. */
export type HandlerRequest = IRequest

export type Handler = (request: HandlerRequest, ctx: Ctx) => unknown

/** What a handler declares about itself besides its function: who may call it. */
export interface HandlerOptions {
  access: Access
}

/** A handler as `defineHandler` makes it: still a plain function, carrying its declaration. */
export type DeclaredHandler<R = unknown> = ((request: HandlerRequest, ctx: Ctx) => R) &
  Readonly<HandlerOptions>
