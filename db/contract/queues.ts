// Durable queues on this node (issue "Messaging", point 1): messages kept in SQLite, handed to
// many consumers at once, each delivery hidden for a visibility timeout until it is acknowledged,
// and after too many deliveries (or past its TTL) moved to the queue's dead-letter queue with
// why, never dropped. A 2xx on publish means the message is on disk, as a movement is.
import { z } from 'zod'
import { nothing, read, write } from './descriptor.ts'

/** A queue as listed: its settings and what it holds now. */
export interface QueueInfo {
  name: string
  createdAt: string
  visibilityTimeoutMs: number
  /** Deliveries without an ack before a message is dead-lettered; null on a dead-letter queue. */
  maxDeliveries: number | null
  /** Where its dead messages go; null on a dead-letter queue itself. */
  deadLetterQueue: string | null
  /** Every message it holds now, ready, delayed or in flight (at most MAX_DEPTH). */
  depth: number
  /** Messages a consumer would get now. */
  ready: number
  /** Published with a delay, or nacked with one, not yet visible. */
  delayed: number
  /** Delivered, not yet acknowledged, still within their visibility timeout. */
  inFlight: number
  /** Messages in its dead-letter queue. */
  deadLetters: number
}

/** How publishing one message ended: its id and place, and whether that id was seen before. */
export interface Published {
  id: string
  seq: number
  /** The id was published before (in this queue, ever): nothing new was stored. */
  duplicate: boolean
}

/** A message handed to a consumer. */
export interface Delivered {
  id: string
  seq: number
  body: unknown
  headers: Record<string, string>
  publishedAt: string
  /** This delivery's count, 1 the first time. */
  deliveries: number
  /** Quote it to ack, nack or extend this delivery; a later delivery has another. */
  receipt: string
  /** When it becomes visible to others again unless acknowledged or extended. */
  visibleUntil: string
}

/** What happened to one receipt: done, or why not (it was acked already or delivered again). */
export interface ReceiptOutcome {
  receipt: string
  ok: boolean
  problem?: string
}

/** What a receive took; and the dead-letter queue it moved messages to first, if it did. */
export interface Received {
  messages: Delivered[]
  /** The runtime wakes the receives waiting on it and leaves it out of the REST answer (runtime/stages/wake-queues.ts). */
  deadLettered?: string
}

const queueName = z.string().min(1).max(100)
const receipts = z.array(z.string().min(1).max(100)).min(1).max(1000)
const ms = z
  .int()
  .min(0)
  .max(7 * 24 * 3600 * 1000)

export const queueOps = {
  'queues.create': write(
    z.strictObject({
      name: queueName,
      visibilityTimeoutMs: z
        .int()
        .min(1)
        .max(12 * 3600 * 1000),
      maxDeliveries: z.int().min(1).max(1000),
    })
  ).returns<QueueInfo>(),
  'queues.list': read(nothing).returns<{ queues: QueueInfo[] }>(),
  'queues.get': read(z.strictObject({ name: queueName })).returns<QueueInfo>(),
  /** Deletes every message of the queue (not its dead letters, not the ids it has seen). */
  'queues.purge': write(z.strictObject({ name: queueName })).returns<{ purged: number }>(),
  /** Deletes the queue, its dead-letter queue and every message in them. */
  'queues.delete': write(z.strictObject({ name: queueName })).returns<{ deleted: string[] }>(),
  /** Each message carries its id (the runtime makes one when the client gave none). */
  'queues.publish': write(
    z.strictObject({
      queue: queueName,
      messages: z
        .array(
          z.strictObject({
            id: z.string().min(1).max(200),
            /** The body as JSON text. */
            body: z.string(),
            headers: z.record(z.string(), z.string()),
            delayMs: ms,
            ttlMs: ms.min(1).nullable(),
          })
        )
        .min(1)
        .max(1000),
    })
  ).returns<{ results: Published[] }>(),
  /** The first messages a receive would get, as they are: nothing is delivered or counted. */
  'queues.browse': read(
    z.strictObject({ queue: queueName, limit: z.int().min(1).max(100) })
  ).returns<{
    messages: Omit<Delivered, 'receipt' | 'visibleUntil'>[]
  }>(),
  /** Whether a receive would get something now, and when the next hidden message shows. */
  'queues.peek': read(z.strictObject({ queue: queueName })).returns<{
    ready: boolean
    nextVisibleAt: number | null
  }>(),
  'queues.receive': write(
    z.strictObject({
      queue: queueName,
      max: z.int().min(1).max(100),
      visibilityMs: ms.min(1).optional(),
    })
  ).returns<Received>(),
  'queues.ack': write(z.strictObject({ queue: queueName, receipts })).returns<{
    results: ReceiptOutcome[]
  }>(),
  'queues.nack': write(z.strictObject({ queue: queueName, receipts, delayMs: ms })).returns<{
    results: ReceiptOutcome[]
  }>(),
  'queues.extend': write(
    z.strictObject({ queue: queueName, receipts, visibilityMs: ms.min(1) })
  ).returns<{ results: ReceiptOutcome[] }>(),
  /** queues.ack of `receipts`, then queues.receive, in one write (one commit for a consumer's turn). */
  'queues.ackAndReceive': write(
    z.strictObject({
      queue: queueName,
      receipts,
      max: z.int().min(1).max(100),
      visibilityMs: ms.min(1).optional(),
    })
  ).returns<Received & { acked: ReceiptOutcome[] }>(),
}
