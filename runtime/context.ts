import type { IRequest } from 'itty-router'
import type { Logger } from 'pino'
import type { z } from 'zod'
import type { OpName, Payload, RestoreReport, Result, Role } from '../db/contract/index.ts'
import type {
  KeyringApi,
  MembershipApi,
  PeerStock,
  RelayApi,
  ReplicationApi,
} from '../network/index.ts'
import type { QueueSignals } from './queue-signals.ts'
import type { EventFeed } from './event-hub.ts'
import type { ScrapeFigures } from './metrics.ts'
import type { BackupsApi } from './backups.ts'
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
  /**
   * One operation. A request makes one write (its Idempotency-Key covers it); `again` sends that
   * same write once more, for a handler whose first try changed nothing its caller is told of (a
   * long poll's take that found nothing): refused in a request that carries a key.
   */
  send<O extends OpName>(
    op: O,
    payload: Payload<O>,
    options?: { timeoutMs?: number; again?: boolean }
  ): Promise<Result<O>>
  /**
   * Many calls of one write, each with its own idempotency key (a batch of movements): each is
   * applied, refused or replayed as if sent alone with that key, and each gets its own answer,
   * in order. The request's own Idempotency-Key is refused here: it would cover none of them.
   */
  sendEach<O extends OpName>(
    op: O,
    calls: readonly { payload: Payload<O>; key: string }[],
    options?: { timeoutMs?: number }
  ): Promise<EachAnswer<Result<O>>[]>
}

/** One call's answer in `sendEach`: its data, or its refusal as the route would have answered. */
export type EachAnswer<T> = { replayed: boolean } & (
  | { ok: true; data: T }
  | { ok: false; status: number; code: string; error: string; details?: unknown }
)

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
   * The transfers' outbox relay: each peer's lane as it stands. The runtime wakes it after every
   * transfer write (runtime/stages/wake-relay.ts): a handler need not.
   */
  relay: RelayApi
  /** The cluster keys across the members (network/keyring/rotation.ts). */
  keys: KeyringApi
  /** Wakes the receives waiting on a queue when it gets a message (runtime/queue-signals.ts). */
  queues: QueueSignals
  /**
   * Rebuilds this node's ledger (it holds no movement or item) from its peers' replicas, as the
   * node `nodeId` or the one they know by this node's name; the node serves again once verified.
   */
  restore(nodeId?: string): Promise<RestoreReport>
  /** The node's figures for Prometheus, with those a scrape reads of the node given. */
  metrics: Metrics
  /** The node's backups: taken while it serves, listed, downloaded (runtime/backups.ts). */
  backups: BackupsApi
  /** On node-to-node routes (/peer/…): the id of the node that signed the request. */
  peer?: string
  /** On client routes: the user whose API token the request carries, and its role. */
  user?: { name: string; role: Role; tokenId: string }
  /**
   * Checks the request's API token again, as when the request came (throws the same refusal if
   * it was revoked, expired or its user disabled or demoted since): for an answer that lasts.
   */
  stillAdmitted(): Promise<void>
  /**
   * How late this process's timers have fired lately (the 99th percentile over the last few
   * seconds, ms; runtime/timer-lateness.ts): near 0 unless the machine is busy. An answer due by a
   * deadline leaves itself that much more time to be sent in.
   */
  timersLateMs(): number
  /** Ends the request's connection at once, mid-answer: its client sees the answer broken off. */
  cutOff(): void
  /** The OpenAPI document of this node's routes, made from their declarations (runtime/openapi.ts). */
  openapi(): OpenApiDocument
}

/** The node's figures as handlers see them: what GET /metrics answers. */
export interface Metrics {
  /** The content type of the exposition: Prometheus's text format. */
  readonly contentType: string
  /** Every figure of the node, with those of this scrape given, in the text format. */
  exposition(figures: ScrapeFigures): Promise<string>
}

/** An OpenAPI 3.1 document, as plain JSON. */
export type OpenApiDocument = { openapi: string } & Record<string, unknown>

/** The request as handlers see it: a fetch Request plus itty's decoded `params` and `query`. */
export type HandlerRequest = IRequest

export type Handler = (request: HandlerRequest, ctx: Ctx) => unknown

/** A schema a handler may declare for its body or query, or none. */
type Declared = z.ZodType | undefined

/**
 * A body a route takes as text besides JSON (`text/csv`): the runtime reads it (within the
 * route's limit) and hands it to the handler as `input.text`, unparsed; `body` is then undefined.
 */
export interface TextBody {
  /** The media type, without parameters: `text/csv`. */
  type: string
  /** What the text must hold, for the API documentation. */
  description: string
  /** A body the route takes, shown in the documentation and checked by its test. */
  example: string
}
type DeclaredText = TextBody | undefined

/**
 * What a handler declares about itself besides its function: who may call it, what it does, and
 * the schemas of its body and query. The runtime validates these before the handler runs, and the
 * OpenAPI document (GET /openapi.json) is made from them: what is documented is what is checked.
 */
export interface HandlerOptions<
  B extends Declared = Declared,
  Q extends Declared = Declared,
  T extends DeclaredText = DeclaredText,
> {
  access: Access
  /** One line on what the route does, for the API documentation. */
  summary?: string
  /** The JSON body, validated (415, 400 INVALID_JSON, 400 VALIDATION_FAILED) before the handler runs. */
  body?: B
  /** The query string, validated (400 VALIDATION_FAILED) before the handler runs. */
  query?: Q
  /** The body may also be sent as this text type (see TextBody). */
  text?: T
  /**
   * The largest body this route reads, in bytes (default MAX_BODY_BYTES, 64 KiB): a larger one
   * is refused with 413 before it is read. Only for routes that take a whole file.
   */
  maxBodyBytes?: number
  /**
   * For a route whose effect no Idempotency-Key can make once (it is outside the database
   * worker's write, or shown only once): why, and what to do instead. A request that sends a
   * key is refused with 400 and this sentence, rather than have the key silently do nothing.
   */
  keyless?: string
  /** A request that this route takes, shown in the documentation and checked by its test. */
  example?: {
    body?: B extends z.ZodType ? z.input<B> : never
    /** As sent in the URL: text. */
    query?: Q extends z.ZodType ? { [K in keyof z.input<Q>]?: string } : never
    params?: Record<string, string>
  }
}

/**
 * What a handler gets from its declared schemas: the body and query, validated; for a route that
 * also takes text, the text when it came so (and then no body).
 */
export interface Input<
  B extends Declared = undefined,
  Q extends Declared = undefined,
  T extends DeclaredText = undefined,
> {
  body: B extends z.ZodType
    ? T extends TextBody
      ? z.output<B> | undefined
      : z.output<B>
    : undefined
  query: Q extends z.ZodType ? z.output<Q> : undefined
  text: T extends TextBody ? string | undefined : undefined
}

/** A handler as `defineHandler` makes it: still a plain function, carrying its declaration. */
export type DeclaredHandler<R = unknown> = ((request: HandlerRequest, ctx: Ctx) => Promise<R>) &
  Readonly<HandlerOptions>
