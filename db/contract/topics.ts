// Topics and their durable subscriptions (issue "Messaging", points 2 and 3): a message published
// to a topic is kept for the topic's retention and copied, in the same transaction, into the
// queue of every subscription whose pattern matches; so is every event of the node's log, on its
// system topic (stock.<sku>, item.<sku>, transfer.<id>, member.<id>). A subscription is consumed
// as the queue it is (queues.receive, queues.ack).
import { z } from 'zod'
import { nothing, read, write } from './descriptor.ts'
import type { QueueInfo } from './queues.ts'

export interface TopicInfo {
  name: string
  createdAt: string
  retentionMs: number
  retentionCount: number
  /** Messages kept now, and the seqs of the first and last of them. */
  messages: number
  firstSeq: number | null
  lastSeq: number | null
}

/** A subscription: its pattern, and its queue as GET /queues shows it. */
export interface SubscriptionInfo {
  name: string
  pattern: string
  createdAt: string
  /**
   * Messages it did not get because its queue held the most a queue holds (1,000,000): copies
   * are not made into a full subscription, so a forgotten one cannot fill the disk; once it has
   * missed one it takes no more (make it again from where its consumer got to).
   */
  missed: number
  queue: QueueInfo
}

/** A message kept on a topic, as its live stream gives it. */
export interface TopicMessage {
  seq: number
  topic: string
  id: string
  body: unknown
  headers: Record<string, string>
  publishedAt: string
}

/** Topics whose messages this node carries to peer warehouses. */
export interface Federation {
  pattern: string
  /** The peers' warehouse names; null: every member. */
  peers: string[] | null
  createdAt: string
}

const name = z.string().min(1).max(100)
const stored = z.strictObject({
  id: z.string().min(1).max(200),
  body: z.string(),
  headers: z.record(z.string(), z.string()),
})

/** topics.subscribe's payload (topics.subscribeV2 adds afterMessage). */
const subscription = z.strictObject({
  name,
  pattern: z.string().min(1).max(200),
  visibilityTimeoutMs: z.int().min(1),
  maxDeliveries: z.int().min(1),
  since: z.string().nullable(),
  afterEvent: z.int().min(0).nullable(),
})

export const topicOps = {
  'topics.create': write(
    z.strictObject({
      name,
      retentionMs: z.int().min(1),
      retentionCount: z.int().min(1),
    })
  ).returns<TopicInfo>(),
  'topics.list': read(nothing).returns<{
    topics: TopicInfo[]
    subscriptions: SubscriptionInfo[]
  }>(),
  'topics.get': read(z.strictObject({ name })).returns<TopicInfo>(),
  /** Deletes the topic and the messages it keeps; subscriptions stay (their patterns may match others). */
  'topics.delete': write(z.strictObject({ name })).returns<{ deleted: string }>(),
  'topics.publish': write(
    z.strictObject({ topic: name, messages: z.array(stored).min(1).max(1000) })
  ).returns<{ results: { id: string; seq: number; duplicate: boolean }[] }>(),
  /**
   * Makes a subscription: its queue (and dead-letter queue), and the pattern that fills it from
   * now on; with `since` (an ISO time) or `afterEvent` (an event seq), what is kept from then
   * first: the topics' retained messages and the log's events, in that order.
   */
  'topics.subscribe': write(subscription).returns<SubscriptionInfo>(),
  /**
   * topics.subscribe with one more start point: `afterMessage` (a topic message seq, as publish
   * answers and the stream numbers them), the topics' kept messages after it; with `afterEvent`
   * too, the log's events after that, the two merged by time.
   */
  'topics.subscribeV2': write(
    subscription.extend({ afterMessage: z.int().min(0).nullable() })
  ).returns<SubscriptionInfo>(),
  /** The messages kept on the topics `pattern` matches after `after` (a topic message seq), oldest first. */
  'topics.feed': read(
    z.strictObject({
      pattern: z.string().min(1).max(200),
      after: z.int().min(0),
      limit: z.int().min(1).max(1000),
    })
  ).returns<{ messages: TopicMessage[]; head: number }>(),
  'federations.list': read(nothing).returns<{ federations: Federation[] }>(),
  /** Makes or changes the rule for `pattern`: from the next message on, not what is kept already. */
  'federations.set': write(
    z.strictObject({
      pattern: z.string().min(1).max(200),
      peers: z.array(z.string().min(1).max(64)).min(1).max(100).nullable(),
    })
  ).returns<Federation>(),
  'federations.delete': write(z.strictObject({ pattern: z.string().min(1).max(200) })).returns<{
    deleted: string
  }>(),
}
