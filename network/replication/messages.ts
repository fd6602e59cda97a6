import { z } from 'zod'
import { peerName, peerNameOrNone, peerNodeId } from '../../api/members.ts'
import type { ExchangeKind } from '../transport/transport.ts'

// The replication's exchanges, defined once as the membership's are (membership/messages.ts):
// the owner validates the request with these schemas, the puller the answer, before either
// believes a word of it. Parameters travel in the signed body: the signature does not cover the
// query string. Unknown fields are dropped, not refused (a newer node may add some).

const hash = z.string().max(64)

/** A position in a node's log: its last event, and the last ledger row among its events. */
export const logPosition = z.object({
  events: z.int().min(0),
  ledger: z.object({ seq: z.int().min(0), hash }),
})
export type LogPosition = z.output<typeof logPosition>

/** Whether two positions are the same: the same last event and the same last ledger row. */
export const samePosition = (a: LogPosition, b: LogPosition) =>
  a.events === b.events && a.ledger.seq === b.ledger.seq && a.ledger.hash === b.ledger.hash

/** The most events a page holds, and the most time an owner holds a long-poll. */
export const MAX_PAGE = 5000
export const MAX_WAIT_MS = 30_000
/** The most bytes a page's events may take, and what the puller reads of an answer. */
export const MAX_PAGE_BYTES = 8 * 1024 * 1024

/** POST /peer/feed: the owner's log after `after`, at most `limit` events and about `maxBytes`. */
export const feedMessage = z.object({
  after: logPosition,
  limit: z.int().min(1).max(MAX_PAGE),
  maxBytes: z.int().min(1).max(MAX_PAGE_BYTES),
  /** When the puller already has everything: how long the owner may wait for more. */
  waitMs: z.int().min(0).max(MAX_WAIT_MS),
})
export type FeedMessage = z.output<typeof feedMessage>

const logEvent = z.object({
  seq: z.int().min(1),
  type: z.string().max(64),
  subject: z.string().max(200),
  data: z.unknown(),
  createdAt: z.string().max(64),
})

export const feedAnswer = z.object({
  events: z.array(logEvent).max(MAX_PAGE),
  /** The owner's head when the page was read. */
  head: logPosition,
  /** The page holds everything up to the head. */
  upToDate: z.boolean(),
})
export type FeedAnswer = z.output<typeof feedAnswer>

const nodeId = peerNodeId

/**
 * POST /peer/replica-head: the replicas this node holds of a node, by its id or by its name (a
 * node being restored may know only its name). Read-only; may be addressed to any receiver.
 */
export const replicaHeadMessage = z
  .object({ node: nodeId.optional(), name: peerName.optional() })
  .refine((m) => m.node !== undefined || m.name !== undefined, {
    error: 'name the node (node) or its name (name)',
  })
export type ReplicaHeadMessage = z.output<typeof replicaHeadMessage>

/** One replica as its holder tells it: how far it goes, whether it broke, since when complete. */
export const heldReplica = z.object({
  nodeId,
  name: peerNameOrNone,
  state: z.string().max(32),
  reason: z.string().max(32).nullable(),
  position: logPosition,
  caughtUpAt: z.string().max(64).nullable(),
  /**
   * The node as the holder's membership sees it (alive, suspect, failed, left), or null when it
   * is no member there: a restore refuses to take the id of a node its peers see running. Absent
   * from a holder of an older version.
   */
  member: z.enum(['alive', 'suspect', 'failed', 'left']).nullable().optional(),
  /** Where the holder's membership has that node (its advertised address), when a member. */
  memberAddress: z.string().max(300).nullable().optional(),
})
export type HeldReplica = z.output<typeof heldReplica>

export const replicaHeadAnswer = z.object({
  /** The holder's own name (its id is the answer's signer). */
  name: peerNameOrNone,
  replicas: z.array(heldReplica).max(100),
})
export type ReplicaHeadAnswer = z.output<typeof replicaHeadAnswer>

/** POST /peer/replica-hashes: the hashes of a replica's rows at these seqs (a witness's word). */
export const replicaHashesMessage = z.object({
  node: nodeId,
  seqs: z.array(z.int().min(1)).max(1000),
})
export const replicaHashesAnswer = z.object({
  hashes: z.array(z.object({ seq: z.int().min(1), hash })).max(1000),
})
export type ReplicaHashesAnswer = z.output<typeof replicaHashesAnswer>

/** POST /peer/replica-feed: a node's log as this node's replica holds it (a restore's source). */
export const replicaFeedMessage = z.object({
  node: nodeId,
  after: logPosition,
  limit: z.int().min(1).max(MAX_PAGE),
  maxBytes: z.int().min(1).max(MAX_PAGE_BYTES),
})
export type ReplicaFeedMessage = z.output<typeof replicaFeedMessage>

export const REPLICATION_MESSAGES = {
  feed: {
    path: '/peer/feed',
    message: feedMessage,
    answer: feedAnswer,
    // A page's events plus their envelope: JSON escapes can grow the text a little.
    maxAnswerBytes: 2 * MAX_PAGE_BYTES,
  },
  replicaFeed: {
    path: '/peer/replica-feed',
    message: replicaFeedMessage,
    answer: feedAnswer,
    maxAnswerBytes: 2 * MAX_PAGE_BYTES,
  },
  replicaHead: {
    path: '/peer/replica-head',
    message: replicaHeadMessage,
    answer: replicaHeadAnswer,
  },
  replicaHashes: {
    path: '/peer/replica-hashes',
    message: replicaHashesMessage,
    answer: replicaHashesAnswer,
  },
} as const satisfies Record<string, ExchangeKind>
