// Topics and subscriptions as the REST surface takes and gives them (/topics…). A topic's name is
// dotted tokens (orders.eu.created); a subscription's pattern may use `*` for any one token and a
// last `>` for one or more. System topics carry the node's own events and are never published to:
// stock.<sku>, item.<sku>, transfer.<id>, member.<id>.
import { z } from 'zod'
import { streamPosition } from './events.ts'
import { queueInput } from './queues.ts'

/** The largest message a topic takes (body and headers, as JSON): it must fit a federation hop. */
export const MAX_TOPIC_MESSAGE_BYTES = 48 * 1024
export const SYSTEM_TOPICS = ['stock', 'item', 'transfer', 'member', 'event'] as const
const DAY_MS = 24 * 3600 * 1000

const TOKEN = '[A-Za-z0-9_-]+'

export const topicName = z
  .string({ error: 'must be a string' })
  .max(100, { error: 'must be at most 100 characters' })
  .regex(new RegExp(`^${TOKEN}(\\.${TOKEN})*$`), {
    error: 'must be dotted words of letters, digits, dashes or underscores (orders.eu.created)',
  })

export const topicPattern = z
  .string({ error: 'must be a string' })
  .max(200, { error: 'must be at most 200 characters' })
  .regex(new RegExp(`^(${TOKEN}|\\*)(\\.(${TOKEN}|\\*))*(\\.>)?$|^>$`), {
    error: 'must be dotted words, * for any one word, and a last > for one or more (stock.>)',
  })

export const topicInput = z.strictObject({
  name: topicName.refine(
    // In any case: STOCK.x would read as a system topic, and match no subscription to stock.>.
    (name) => !(SYSTEM_TOPICS as readonly string[]).includes(name.split('.')[0].toLowerCase()),
    {
      error: `must not start with ${SYSTEM_TOPICS.join(', ')}: those are the node's system topics`,
    }
  ),
  /** Messages older than this are dropped from the topic (not from subscriptions that have them). */
  retentionMs: z
    .int({ error: 'must be a whole number of milliseconds' })
    .min(1, { error: 'must be at least 1 ms' })
    .max(365 * DAY_MS, { error: 'must be at most 365 days' })
    .default(7 * DAY_MS),
  /** At most this many messages are kept, the newest. */
  retentionCount: z
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(10_000_000, { error: 'must be at most 10000000' })
    .default(100_000),
})

/** POST /topics/:pattern/subscriptions: its name (that of its queue) and where it starts. */
export const subscriptionInput = queueInput
  .extend({
    /** What it gets first: what the topics keep since this time, and the log's events since. */
    since: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 time such as 2027-01-31T00:00:00Z' })
      .optional(),
    /** Or the node's events after this event seq (GET /events numbers them). */
    afterEvent: z.int().min(0, { error: 'must not be negative' }).optional(),
    /** And/or the topics' kept messages after this message seq (publish answers each one's). */
    afterMessage: z.int().min(0, { error: 'must not be negative' }).optional(),
  })
  .refine(
    (s) => s.since === undefined || (s.afterEvent === undefined && s.afterMessage === undefined),
    { error: 'give since, or afterEvent and/or afterMessage, not both kinds' }
  )

/** POST /federations: carry the topics a pattern matches to these peers (by warehouse name), or to all. */
export const federationInput = z.strictObject({
  pattern: topicPattern,
  peers: z
    .array(z.string().min(1).max(64), { error: 'must be a list of warehouse names' })
    .min(1, { error: 'must name at least one warehouse (or leave peers out: every member)' })
    .max(100, { error: 'must name at most 100 warehouses' })
    .refine((peers) => new Set(peers.map((p) => p.toLowerCase())).size === peers.length, {
      error: 'must name each warehouse once',
    })
    .optional(),
})

/** GET /topics/:pattern/stream: from after this topic message seq (or Last-Event-ID); else from now. */
export const topicStreamQuery = z.strictObject({ after: streamPosition.optional() })
