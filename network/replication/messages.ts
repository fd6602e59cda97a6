import { z } from 'zod'
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

export const REPLICATION_MESSAGES = {
  feed: {
    path: '/peer/feed',
    message: feedMessage,
    answer: feedAnswer,
    // A page's events plus their envelope: JSON escapes can grow the text a little.
    maxAnswerBytes: 2 * MAX_PAGE_BYTES,
  },
} as const satisfies Record<string, ExchangeKind>
