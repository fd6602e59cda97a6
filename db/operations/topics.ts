// Topics and durable subscriptions (db/contract/topics.ts). The copies into the subscriptions'
// queues are made by the triggers of migrations/20270110100100_create_topics.ts, in the
// transaction of the publish or of the change that appended the event; what is here makes the
// topics and subscriptions, publishes, prunes by retention, and fills a new subscription from a
// start point.
import type { Knex } from 'knex'
import { inParts } from '../sql.ts'
import type * as C from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import { forgetFederating } from '../events/log.ts'
import { mayRead, mayUse } from './grants.ts'
import { compiled, MATCHES } from './patterns.ts'
import { create as createQueue, infoOf, MAX_DEPTH, queueNamed } from './queues.ts'

interface Retention {
  retentionMs: number
  retentionCount: number
}

interface TopicRow extends Retention {
  name: string
  createdAt: string
}

interface SubscriptionRow {
  name: string
  pattern: string
  createdAt: string
  /** Copies not made because its queue held MAX_DEPTH messages (the triggers count them). */
  missed: number
}

async function topicNamed(trx: Knex, name: string): Promise<TopicRow> {
  const topic = (await trx('topics').where({ name }).first()) as TopicRow | undefined
  if (!topic) {
    throw new DomainError('NOT_FOUND', `No topic named ${name}`, [
      { path: 'topic', message: `no topic named ${name}` },
    ])
  }
  return topic
}

async function topicInfo(trx: Knex, topic: TopicRow): Promise<C.TopicInfo> {
  // What its retention keeps now (RETAINED, its cutoff worked out once for this topic).
  const [row] = (await trx.raw(
    `SELECT count(*) AS messages, min(seq) AS firstSeq, max(seq) AS lastSeq
     FROM topic_messages WHERE topic = ? AND published_at >= ?`,
    [topic.name, new Date(Date.now() - topic.retentionMs).toISOString()]
  )) as { messages: number; firstSeq: number | null; lastSeq: number | null }[]
  return { ...topic, ...row, messages: Number(row.messages) }
}

/** Topics a node keeps at most, as it keeps at most MAX_QUEUES queues: each holds its messages. */
export const MAX_TOPICS = 1000

export async function create(trx: Knex, input: C.Payload<'topics.create'>) {
  if (await trx('topics').where({ name: input.name }).first()) {
    throw new DomainError('CONFLICT', `There is already a topic named ${input.name}`, [
      { path: 'name', message: 'taken' },
    ])
  }
  const [{ n }] = await trx('topics').count({ n: '*' })
  if (Number(n) >= MAX_TOPICS) {
    throw new DomainError(
      'CONFLICT',
      `This node keeps ${MAX_TOPICS} topics already, the most it takes: delete one first`
    )
  }
  const topic: TopicRow = { ...input, createdAt: new Date().toISOString() }
  await trx('topics').insert(topic)
  return topicInfo(trx, topic)
}

async function subscriptionInfo(trx: Knex, row: SubscriptionRow): Promise<C.SubscriptionInfo> {
  const { name, pattern, createdAt, missed } = row
  const queue = await infoOf(trx, await queueNamed(trx, name))
  return { name, pattern, createdAt, missed: Number(missed), queue }
}

export async function list(trx: Knex) {
  const topics = (await trx('topics').orderBy('name')) as TopicRow[]
  const subscriptions = (await trx('topicSubscriptions')
    .orderBy('name')
    .select('name', 'pattern', 'createdAt', 'missed')) as SubscriptionRow[]
  return {
    topics: await Promise.all(topics.map((t) => topicInfo(trx, t))),
    subscriptions: await Promise.all(subscriptions.map((s) => subscriptionInfo(trx, s))),
  }
}

export async function get(trx: Knex, { name }: C.Payload<'topics.get'>) {
  return topicInfo(trx, await topicNamed(trx, name))
}

export async function remove(trx: Knex, input: C.Payload<'topics.delete'>) {
  const { name } = input
  await topicNamed(trx, name)
  await mayUse(trx, input, 'topic', name, 'manage')
  await trx('messagingGrants').where({ kind: 'topic', name }).delete()
  await trx('topicMessageIds').where({ topic: name }).delete()
  await trx('topicMessages').where({ topic: name }).delete()
  await trx('topics').where({ name }).delete()
  return { deleted: name }
}

export async function publish(trx: Knex, input: C.Payload<'topics.publish'>) {
  const { topic: name, messages } = input
  const topic = await topicNamed(trx, name)
  await mayUse(trx, input, 'topic', name, 'publish')
  const now = Date.now()
  const publishedAt = new Date(now).toISOString()
  const kept = await keepAll(
    trx,
    name,
    messages.map(({ id, body, headers }) => ({ messageId: id, body, headers, publishedAt }))
  )
  const results = messages.map(({ id }, i) => ({ id, ...kept[i] }))
  await prune(trx, topic, now)
  return { results }
}

interface Kept {
  messageId: string
  body: string
  headers: Record<string, string>
  publishedAt: string
  /** The peer it came from (never carried on). */
  origin?: string
}

/**
 * Keeps messages on their topic once each, in their order, with a few statements for all of them:
 * an id the topic has had before (ever), or earlier in `messages`, is not kept again, and the
 * place it had is given back.
 */
async function keepAll(
  trx: Knex,
  topic: string,
  messages: Kept[]
): Promise<{ seq: number; duplicate: boolean }[]> {
  const seqOf = new Map<string, number>()
  for (const part of inParts([...new Set(messages.map((m) => m.messageId))])) {
    const rows = (await trx('topicMessageIds')
      .where({ topic })
      .whereIn('messageId', part)
      .select('messageId', 'seq')) as { messageId: string; seq: number }[]
    for (const row of rows) seqOf.set(row.messageId, row.seq)
  }
  const fresh = new Map<string, Kept>()
  for (const m of messages)
    if (!seqOf.has(m.messageId) && !fresh.has(m.messageId)) fresh.set(m.messageId, m)
  for (const part of inParts([...fresh.values()])) {
    const rows = (await trx('topicMessages').insert(
      part.map((m) => ({
        topic,
        messageId: m.messageId,
        body: m.body,
        headers: JSON.stringify(m.headers),
        publishedAt: m.publishedAt,
        origin: m.origin ?? null,
      })),
      ['seq', 'messageId']
    )) as { seq: number; messageId: string }[]
    for (const row of rows) seqOf.set(row.messageId, row.seq)
    await trx('topicMessageIds').insert(
      part.map((m) => ({ topic, messageId: m.messageId, seq: seqOf.get(m.messageId) }))
    )
  }
  return messages.map((m) => ({
    seq: seqOf.get(m.messageId) as number,
    duplicate: fresh.get(m.messageId) !== m,
  }))
}

/**
 * Retention: what is older than retentionMs, or beyond the topic's own last retentionCount, goes.
 * The count is of this topic's messages: seqs are numbered across every topic (and the messages
 * peers federate here), so `last - retentionCount` would keep fewer the busier the others are.
 * Each step reads along the topic's (topic, seq) index no further than it must: the expired walk
 * stops at the first message kept (published_at follows seq, but for a peer's late message, which
 * readers leave out by RETAINED until a later prune), and the count is looked for only when the
 * topic's span of seqs is wider than what it keeps.
 */
async function prune(trx: Knex, topic: Retention & { name: string }, now: number) {
  const { name } = topic
  const cutoff = new Date(now - topic.retentionMs).toISOString()
  const [kept] = (await trx.raw(
    `SELECT seq FROM topic_messages WHERE topic = ? AND published_at >= ? ORDER BY seq LIMIT 1`,
    [name, cutoff]
  )) as { seq: number }[]
  await trx.raw(`DELETE FROM topic_messages WHERE topic = ? AND seq < ?`, [
    name,
    kept ? kept.seq : Number.MAX_SAFE_INTEGER,
  ])
  if (!kept) return
  const [{ last }] = (await trx.raw(`SELECT max(seq) AS last FROM topic_messages WHERE topic = ?`, [
    name,
  ])) as { last: number }[]
  if (last - kept.seq + 1 <= topic.retentionCount) return // it cannot hold more than it keeps
  await trx.raw(
    `DELETE FROM topic_messages WHERE topic = ? AND seq <= coalesce(
       (SELECT seq FROM topic_messages WHERE topic = ? ORDER BY seq DESC LIMIT 1 OFFSET ?), 0)`,
    [name, name, topic.retentionCount]
  )
}

/** What a topic keeps when it has no row here (one a peer federates, not made on this node). */
const DEFAULT_RETENTION: Retention = {
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionCount: 100_000,
}

/**
 * Whether a topic message (`m`) is within its topic's retention at `?` (ms since the epoch, bound
 * by the caller): a quiet topic is pruned only at its next publish, and what has expired
 * meanwhile must not be counted or handed out. A topic with no row here (one a peer federates)
 * keeps DEFAULT_RETENTION.
 */
const RETAINED = `m.published_at >= strftime('%Y-%m-%dT%H:%M:%fZ', (? - coalesce(
    (SELECT retention_ms FROM topics WHERE name = m.topic), ${DEFAULT_RETENTION.retentionMs})) / 1000.0,
  'unixepoch')`

/**
 * A message a peer federates to this node (its inbox applies it once): published on the same
 * topic here, named by its origin and its id there, and never carried on (its origin is set).
 */
export async function receiveFederated(
  trx: Knex,
  sender: { from: string; fromName: string },
  message: {
    topic: string
    id: string
    body: unknown
    headers: Record<string, string>
    publishedAt: string
  }
): Promise<void> {
  const { topic, publishedAt } = message
  const [kept] = await keepAll(trx, topic, [
    {
      messageId: `${sender.from}/${message.id}`,
      body: JSON.stringify(message.body ?? null),
      headers: { ...message.headers, 'x-origin': sender.from, 'x-origin-name': sender.fromName },
      publishedAt,
      origin: sender.from,
    },
  ])
  if (kept.duplicate) return
  const own = (await trx('topics').where({ name: topic }).first()) as TopicRow | undefined
  await prune(trx, { name: topic, ...(own ?? DEFAULT_RETENTION) }, Date.now())
}

/** The last topic message seq ever given, kept or not: retention may have removed the newest too. */
async function messagesHead(trx: Knex): Promise<number> {
  const [{ head }] = (await trx.raw(
    `SELECT max(coalesce((SELECT max(seq) FROM topic_messages), 0),
       coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'topic_messages'), 0)) AS head`
  )) as { head: number }[]
  return head
}

/** How far a subscription's clock may be ahead of this node's when it says `since`. */
const SINCE_SKEW_MS = 60_000

/**
 * Refuses a start point past what this node has: an event or a topic message after the last one
 * here, or a time ahead of its clock. Taken as "from now", it would hand over what comes before
 * it, which was not asked for, without a word (the streams refuse the same positions).
 */
async function refuseStartPastHead(trx: Knex, input: C.Payload<'topics.subscribeV2'>) {
  const past = (where: string, after: number | string, head: number | string, what: string) => {
    const problem = `is past the last ${what} here (${head})`
    return new DomainError(
      'CONFLICT',
      `${where} ${after} ${problem}: a position from another node, or from before this node was restored. Start from ${head} or before, or leave ${where} out to start from now`,
      [{ path: where, message: problem }]
    )
  }
  const { since, afterEvent, afterMessage } = input
  if (since !== null && Date.parse(since) > Date.now() + SINCE_SKEW_MS) {
    throw past('since', since, new Date().toISOString(), 'moment (the time on its clock)')
  }
  if (afterEvent !== null) {
    const [{ head }] = (await trx.raw('SELECT coalesce(max(seq), 0) AS head FROM events')) as {
      head: number
    }[]
    if (afterEvent > head) throw past('afterEvent', afterEvent, head, 'event')
  }
  if (afterMessage !== null) {
    const head = await messagesHead(trx)
    if (afterMessage > head) throw past('afterMessage', afterMessage, head, 'topic message')
  }
}

export function subscribe(trx: Knex, input: C.Payload<'topics.subscribe'>) {
  return subscribeV2(trx, { ...input, afterMessage: null })
}

export async function subscribeV2(trx: Knex, input: C.Payload<'topics.subscribeV2'>) {
  const { name, pattern, since, afterEvent, afterMessage } = input
  const { visibilityTimeoutMs, maxDeliveries } = input
  await refuseStartPastHead(trx, input)
  await createQueue(trx, { name, visibilityTimeoutMs, maxDeliveries })
  const row = { name, pattern, createdAt: new Date().toISOString() }
  await trx('topicSubscriptions').insert({ ...row, ...compiled(pattern) })
  await fillFromStart(trx, input)
  const stored = (await trx('topicSubscriptions').where({ name }).first()) as SubscriptionRow
  return subscriptionInfo(trx, stored)
}

/**
 * Fills a new subscription from its start point (if it has one), oldest first: events of the log
 * and topic messages. Its queue takes `most` of them (MAX_DEPTH), as the triggers copy no more
 * into a full one: the rest are counted in its `missed`.
 */
export async function fillFromStart(
  trx: Knex,
  input: Pick<C.Payload<'topics.subscribeV2'>, 'name' | 'since' | 'afterEvent' | 'afterMessage'>,
  most = MAX_DEPTH
): Promise<void> {
  const { name, since, afterEvent, afterMessage } = input
  if (since === null && afterEvent === null && afterMessage === null) return
  const now = Date.now()
  const fromEvents = afterEvent !== null ? 'e.seq > ?' : since !== null ? 'e.created_at >= ?' : '0'
  const fromMessages =
    afterMessage !== null ? 'm.seq > ?' : since !== null ? 'm.published_at >= ?' : '0'
  const kept = `SELECT 'event:' || e.seq AS id,
      json_object('type', e.type, 'subject', e.subject, 'seq', e.seq, 'data', json(e.data),
        'createdAt', e.created_at) AS body,
      json_object('x-topic', e.topic, 'x-event-seq', CAST(e.seq AS TEXT)) AS headers,
      e.created_at AS at, 0 AS source, e.seq AS n
    FROM event_topics e, topic_subscriptions s
    WHERE s.name = ? AND ${fromEvents} AND ${MATCHES('e.topic')}
    UNION ALL
    SELECT m.message_id, m.body,
      json_set(m.headers, '$."x-topic"', m.topic, '$."x-topic-seq"', CAST(m.seq AS TEXT)),
      m.published_at, 1, m.seq
    FROM topic_messages m, topic_subscriptions s
    WHERE s.name = ? AND ${fromMessages} AND ${MATCHES('m.topic')} AND ${RETAINED}`
  const bindings = [
    name,
    ...(afterEvent !== null ? [afterEvent] : since !== null ? [since] : []),
    name,
    ...(afterMessage !== null ? [afterMessage] : since !== null ? [since] : []),
    now,
  ]
  await trx.raw(
    `INSERT INTO queue_messages (queue, message_id, body, headers, published_at, visible_at, deliveries)
     SELECT ?, id, body, headers, at, ?, 0 FROM (${kept}) ORDER BY at, source, n LIMIT ?`,
    [name, now, ...bindings, most]
  )
  const { depth } = await queueNamed(trx, name)
  if (depth < most) return
  // Full: count what did not fit (only then, since it reads everything from the start again).
  const [{ n }] = (await trx.raw(`SELECT count(*) AS n FROM (${kept})`, bindings)) as {
    n: number
  }[]
  await trx('topicSubscriptions')
    .where({ name })
    .update({ missed: Math.max(0, Number(n) - depth) })
}

interface FederationRow {
  pattern: string
  peers: string | null
  createdAt: string
}

const federationOf = (row: FederationRow): C.Federation => ({
  pattern: row.pattern,
  peers: row.peers === null ? null : (JSON.parse(row.peers) as string[]),
  createdAt: row.createdAt,
})

export async function federations(trx: Knex) {
  const rows = (await trx('federations')
    .orderBy('pattern')
    .select('pattern', 'peers', 'createdAt')) as FederationRow[]
  return { federations: rows.map(federationOf) }
}

/** Carries the topics `pattern` matches to `peers` (warehouse names; null: every member). */
export async function federate(trx: Knex, { pattern, peers }: C.Payload<'federations.set'>) {
  const row: FederationRow = {
    pattern,
    peers: peers === null ? null : JSON.stringify(peers),
    createdAt: new Date().toISOString(),
  }
  forgetFederating(trx)
  await trx('federations')
    .insert({ ...row, ...compiled(pattern) })
    .onConflict('pattern')
    .merge(['peers'])
  return federationOf(
    (await trx('federations')
      .where({ pattern })
      .first('pattern', 'peers', 'createdAt')) as FederationRow
  )
}

export async function unfederate(trx: Knex, { pattern }: C.Payload<'federations.delete'>) {
  forgetFederating(trx)
  const gone = await trx('federations').where({ pattern }).delete()
  if (gone === 0) {
    throw new DomainError('NOT_FOUND', `No federation of ${pattern}`, [
      { path: 'pattern', message: `no federation of ${pattern}` },
    ])
  }
  return { deleted: pattern }
}

/** The messages kept on the topics a pattern matches, after a seq; and the last seq given of all. */
export async function feed(trx: Knex, input: C.Payload<'topics.feed'>) {
  const { pattern, after, limit } = input
  const { glob, dots, open } = compiled(pattern)
  const kept = (await trx.raw(
    `SELECT DISTINCT name FROM messaging_grants, (SELECT ? AS glob, ? AS dots, ? AS open) s
     WHERE kind = 'topic' AND ${MATCHES('name')}`,
    [glob, dots, open ? 1 : 0]
  )) as { name: string }[]
  await mayRead(
    trx,
    input,
    'topic',
    kept.map((k) => k.name),
    `the topics of ${pattern}`
  )
  const rows = (await trx.raw(
    `SELECT seq, topic, message_id AS id, body, headers, published_at AS publishedAt
     FROM topic_messages m, (SELECT ? AS glob, ? AS dots, ? AS open) s
     WHERE seq > ? AND ${MATCHES('topic')} AND ${RETAINED} ORDER BY seq LIMIT ?`,
    [glob, dots, open ? 1 : 0, after, Date.now(), limit]
  )) as {
    seq: number
    topic: string
    id: string
    body: string
    headers: string
    publishedAt: string
  }[]
  const head = await messagesHead(trx)
  return {
    messages: rows.map((r) => ({ ...r, body: JSON.parse(r.body), headers: JSON.parse(r.headers) })),
    head,
  }
}
