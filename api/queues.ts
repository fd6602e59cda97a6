// Durable queues as the REST surface takes and gives them (/queues…). A message's body is any
// JSON value; its id, given or made by the node, de-duplicates a publish sent again, forever.
import { z } from 'zod'
import { depthOf, queryWhole, withoutControls } from './fields.ts'
import { UUID } from './transfers.ts'

/** The largest body of one message, as JSON text. */
export const MAX_MESSAGE_BYTES = 64 * 1024
/**
 * What a route that publishes one message reads: a body at the message limit with its id and
 * headers around it (50 headers of 1,100 characters, up to 3 bytes each in UTF-8), pretty-printed
 * too, so that the message's own limits are the ones a publisher meets, said as such.
 */
export const MAX_PUBLISH_REQUEST_BYTES = 4 * MAX_MESSAGE_BYTES
/** The longest a receive waits for a message (long poll). */
export const MAX_RECEIVE_WAIT_MS = 20_000
export const DEFAULT_VISIBILITY_MS = 30_000
export const DEFAULT_MAX_DELIVERIES = 5

const WEEK_MS = 7 * 24 * 3600 * 1000

export const queueName = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
    error:
      'must be 1-100 letters, digits, dots, dashes or underscores, starting with a letter or digit',
  })

const duration = (most: number, what: string) =>
  z
    .int({ error: `must be a whole number of milliseconds (${what})` })
    .min(0, { error: 'must not be negative' })
    .max(most, { error: `must be at most ${most} ms` })

export const queueInput = z.strictObject({
  name: queueName,
  /** How long a delivered message stays hidden from other consumers unless acknowledged. */
  visibilityTimeoutMs: duration(12 * 3600 * 1000, 'visibility timeout')
    .min(1, { error: 'must be at least 1 ms' })
    .default(DEFAULT_VISIBILITY_MS),
  /** Deliveries without an ack before the message goes to the dead-letter queue. */
  maxDeliveries: z
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(1000, { error: 'must be at most 1000' })
    .default(DEFAULT_MAX_DELIVERIES),
})

/** How deep a message's body may nest. */
export const MAX_BODY_DEPTH = 64

/**
 * The headers the node writes on the messages it carries (db/operations/topics.ts and queues.ts):
 * x-origin and x-origin-name on a federated message, x-dead-* on a dead letter, x-topic,
 * x-topic-seq and x-event-seq on a topic's. Given by a publisher they would pass for the node's.
 */
const NODE_HEADER = /^x-(origin|dead-|topic|event-seq)/i

/** What a header's name or value must not hold (api/fields.ts: withoutControls). */
const HIDDEN = {
  error: 'must not hold control characters, direction overrides or zero-width spaces',
}

/** Whether an id starts as a federated message's does: a node id (a UUID, as nodes make theirs) and /. */
function federatedId(id: string): boolean {
  const slash = id.indexOf('/')
  return slash > 0 && UUID.test(id.slice(0, slash))
}

export const queueMessageInput = z
  .strictObject({
    /**
     * Any JSON value, nested at most 64 deep: a message travels inside a federation hop's request
     * (several levels more), which a peer refuses past 100 levels (runtime/input.ts).
     */
    body: z
      .unknown()
      .refine((body) => body !== undefined, { error: 'is required' })
      .refine((body) => depthOf(body) <= MAX_BODY_DEPTH, {
        error: `must not nest more than ${MAX_BODY_DEPTH} levels deep`,
      }),
    /** Sent again with the same id, the message is taken once (in this queue, ever). */
    id: z
      .string({ error: 'must be a string' })
      .regex(/^[\x21-\x7e]{1,200}$/, { error: 'must be 1-200 visible ASCII characters' })
      // The node's own events carry event:<seq> in a subscription's queue, beside what is published.
      .refine((id) => !id.startsWith('event:'), {
        error: "must not start with event: (the ids of the node's own events)",
      })
      // A message federated from another warehouse is kept as <its node id>/<its id>: published
      // here first under that id, it would be taken for the peer's, which would then be dropped.
      .refine((id) => !federatedId(id), {
        error:
          'must not start with a node id and / (how a message federated from that node is kept)',
      })
      .optional(),
    headers: z
      .unknown()
      // A header named __proto__ is parsed as an own field, but a record drops it without a word.
      .refine((h) => h === null || typeof h !== 'object' || !Object.hasOwn(h, '__proto__'), {
        error: 'must not name a header __proto__',
      })
      .pipe(
        z.record(
          // An HTTP field name (RFC 9110's token): no empty name, no spaces, nothing outside ASCII
          // (an x‐origin spelled with U+2010 passed for the node's own header).
          z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, {
            error: "must be 1-100 letters, digits or - _ . ! # $ % & ' * + ^ ` | ~ (a header name)",
          }),
          z.string().max(1000).refine(withoutControls, HIDDEN),
          {
            // A name refused says why (zod's own word for a bad key is "Invalid key in record").
            error: (issue) =>
              issue.code === 'invalid_type'
                ? 'must map names to strings'
                : issue.code === 'invalid_key'
                  ? issue.issues[0]?.message
                  : undefined,
          }
        )
      )
      .refine((h) => Object.keys(h).length <= 50, { error: 'must have at most 50 headers' })
      .superRefine((headers, ctx) => {
        for (const name of Object.keys(headers)) {
          // Spaced or not: a consumer that trims names would read ' x-origin' as the node's.
          if (!NODE_HEADER.test(name.trim())) continue
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `is a header the node sets itself (where a message came from, why it was dead-lettered, its topic): a publisher may not give it`,
          })
        }
      })
      .default({}),
    /** Hidden from consumers this long after it is published. */
    delayMs: duration(WEEK_MS, 'delay').default(0),
    /** Dead-lettered if not consumed within this long of its publish. */
    ttlMs: duration(WEEK_MS, 'time to live').min(1, { error: 'must be at least 1 ms' }).optional(),
  })
  // Both count from the publish: a message that lives no longer than it is hidden would be
  // dead-lettered, expired, the first time a consumer could see it.
  .refine((m) => m.ttlMs === undefined || m.ttlMs > m.delayMs, {
    error:
      'must be longer than delayMs: both count from the publish, and the message would expire before it is visible',
    path: ['ttlMs'],
  })
export type QueueMessageInput = z.output<typeof queueMessageInput>

export const queueBatchInput = z.strictObject({
  messages: z
    .array(queueMessageInput)
    .min(1, { error: 'must have at least one message' })
    .max(1000, { error: 'must have at most 1000 messages' }),
})

const receipts = z
  .array(z.string().min(1).max(100), { error: 'must be a list of receipts' })
  .min(1, { error: 'must name at least one receipt' })
  .max(1000, { error: 'must name at most 1000 receipts' })

export const queueReceiveInput = z
  .strictObject({
    max: z.int().min(1).max(100, { error: 'must be at most 100' }).default(1),
    /** Waits this long for a message when none is ready (a long poll); not with `ack`. */
    waitMs: duration(MAX_RECEIVE_WAIT_MS, 'wait').default(0),
    /** This receive's visibility timeout, instead of the queue's. */
    visibilityMs: duration(12 * 3600 * 1000, 'visibility')
      .min(1)
      .optional(),
    /**
     * Receipts to acknowledge first, in the same write: a consumer acks what it has handled and
     * takes the next messages in one request. The answer comes at once, with `acked`.
     */
    ack: receipts.optional(),
  })
  .refine((input) => !(input.ack && input.waitMs > 0), {
    path: ['waitMs'],
    error: 'cannot go with ack: a receive that acknowledges answers at once, with what is ready',
  })

export const queueAckInput = z.strictObject({ receipts })
export const queueNackInput = z.strictObject({
  receipts,
  /** Visible again after this long (0: at once). */
  delayMs: duration(WEEK_MS, 'delay').default(0),
})
export const queueExtendInput = z.strictObject({
  receipts,
  visibilityMs: duration(12 * 3600 * 1000, 'visibility').min(1, { error: 'must be at least 1 ms' }),
})

/** POST /queues/:name/purge: the queue's name again, so that no purge happens by mistake. */
export const queuePurgeInput = z.strictObject({ confirm: z.string({ error: 'must be a string' }) })

/** DELETE /grants/:kind/:name/:user: whose grant on which queue or topic. */
export const grantTarget = z.strictObject({
  kind: z.enum(['queue', 'topic'], { error: 'must be queue or topic' }),
  name: z.string().min(1).max(100),
  user: z.string().min(1).max(64),
})

/** POST /grants: what one user may do with one queue or topic (the others' grants unchanged). */
export const grantInput = grantTarget
  .extend({
    publish: z.boolean().default(false),
    consume: z.boolean().default(false),
    manage: z.boolean().default(false),
  })
  .refine((g) => g.publish || g.consume || g.manage, {
    // The first grant keeps a queue to the users granted: one granting nothing would lock every
    // operator out without anyone being let in.
    error:
      'A grant must give publish, consume or manage (as true); DELETE /grants/:kind/:name/:user takes a grant away',
  })

/** GET /grants: those on one kind, or one queue or topic. */
export const grantsQuery = z.strictObject({
  kind: z.enum(['queue', 'topic'], { error: 'must be queue or topic' }).optional(),
  name: z.string().min(1).max(100).optional(),
})

/** GET /queues/:name/messages: the first messages a receive would get, looked at only. */
export const queueBrowseQuery = z.strictObject({
  limit: queryWhole(1, 100).default(20),
})

/** POST /queues/:name/messages with a text/plain body: its id, for a retry taken once. */
export const queueTextQuery = z.strictObject({
  id: z
    .string({ error: 'must be a string' })
    .regex(/^[\x21-\x7e]{1,200}$/, { error: 'must be 1-200 visible ASCII characters' })
    .optional(),
})

/** A queue as GET /queues shows it: its settings and what it holds now. */
export interface QueueView {
  name: string
  createdAt: string
  visibilityTimeoutMs: number
  /** Deliveries without an ack before a message is dead; null on a dead-letter queue. */
  maxDeliveries: number | null
  deadLetterQueue: string | null
  depth: number
  ready: number
  delayed: number
  inFlight: number
  deadLetters: number
}

/** POST …/messages: the message's id, its place, and whether that id was taken before. */
export interface PublishedMessage {
  id: string
  seq: number
  duplicate: boolean
}

/** A message as GET /queues/:name/messages shows it (looked at, not taken). */
export interface QueueMessage {
  id: string
  seq: number
  body: unknown
  headers: Record<string, string>
  publishedAt: string
  deliveries: number
}

/** A message as a receive hands it over: with the receipt that acks, nacks or extends it. */
export interface DeliveredMessage extends QueueMessage {
  receipt: string
  visibleUntil: string
}

/** What an ack, a nack or an extension did with one receipt, or why it could not. */
export interface ReceiptOutcome {
  receipt: string
  ok: boolean
  problem?: string
}

/** POST /queues/:name/receive: the messages taken, and with `ack`, what became of each receipt. */
export interface QueueReceived {
  messages: DeliveredMessage[]
  acked?: ReceiptOutcome[]
}
