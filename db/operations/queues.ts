// Durable queues (db/contract/queues.ts): each operation runs in the worker's write transaction,
// so what it answers is what committed. Times are the worker's clock, in ms since the epoch.
import { randomBytes } from 'node:crypto'
import type { Knex } from 'knex'
import type * as C from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import { refusalOf, type Outcome } from '../outcome.ts'
import { inSavepointOf, withSql, type RunOptions } from '../sql.ts'
import { actorOf } from '../actor.ts'
import { governsQueue, mayRead, mayUse, type GrantRow } from './grants.ts'
import { MATCHES } from './patterns.ts'

/** The suffix of a queue's dead-letter queue: `orders` sends its dead messages to `orders.dead`. */
export const DEAD_SUFFIX = '.dead'
/** The longest queue name a path or a payload takes (api/queues.ts, the contract). */
const MAX_NAME = 100
/** The most queues a node keeps (each with its dead-letter queue). */
export const MAX_QUEUES = 1000
/** The most messages one queue holds; a publish past it is refused until consumers catch up. */
export const MAX_DEPTH = 1_000_000
/** The random part of a receipt, in bytes: what proves its holder was given the delivery. */
const RECEIPT_BYTES = 12
/** Dead messages moved at once by a receive (the rest on the next one). */
const DEAD_LETTER_RUN = 100

interface QueueRow {
  name: string
  depth: number
  createdAt: string
  visibilityTimeoutMs: number
  maxDeliveries: number | null
  deadLetterQueue: string | null
}

/** A message's columns as MessageRow names them, for hand-written SQL. */
const MESSAGE_COLUMNS = `seq, queue, message_id AS messageId, body, headers,
  published_at AS publishedAt, visible_at AS visibleAt, expires_at AS expiresAt, deliveries, receipt`

interface MessageRow {
  seq: number
  queue: string
  messageId: string
  body: string
  headers: string
  publishedAt: string
  visibleAt: number
  expiresAt: number | null
  deliveries: number
  receipt: string | null
}

/**
 * The first `limit` messages of a queue visible at `now`, in publish order, read by the queue's
 * order index: the oldest visible first, so a receive stops after the few it takes (the planner,
 * guessing, would sort the whole backlog by visible_at otherwise).
 */
function readyInOrder(trx: Knex, name: string, now: number, limit: number): Promise<MessageRow[]> {
  return withSql(trx, (sql) =>
    sql.all<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM queue_messages INDEXED BY queue_messages_order
       WHERE queue = ? AND visible_at <= ? ORDER BY seq LIMIT ?`,
      [name, now, limit]
    )
  )
}

/**
 * The grants that govern the queue `q` (grants.ts governsQueue) as a JSON array of GrantRow, for
 * a view read in one statement.
 */
const GRANTS_OF_QUEUE = `(SELECT json_group_array(json_object('kind', g.kind, 'name', g.name,
      'userName', g.user_name, 'publish', g.publish, 'consume', g.consume, 'manage', g.manage))
    FROM messaging_grants g WHERE ${governsQueue('q.name')})`

/** A queue's row as the operations read it (by hand-written SQL: see publishAll). */
const QUEUE_COLUMNS = `name, depth, created_at AS createdAt,
  visibility_timeout_ms AS visibilityTimeoutMs, max_deliveries AS maxDeliveries,
  dead_letter_queue AS deadLetterQueue`
const QUEUE_ROW = `SELECT ${QUEUE_COLUMNS} FROM queues WHERE name = ?`

export async function queueNamed(trx: Knex, name: string): Promise<QueueRow> {
  const [queue] = await withSql(trx, (sql) => sql.all<QueueRow>(QUEUE_ROW, [name]))
  if (!queue) throw noQueue(name)
  return queue
}

const noQueue = (name: string) =>
  new DomainError('NOT_FOUND', `No queue named ${name}`, [
    { path: 'queue', message: `no queue named ${name}` },
  ])

export async function infoOf(trx: Knex, queue: QueueRow, now = Date.now()): Promise<C.QueueInfo> {
  const count = async (where: (q: Knex.QueryBuilder) => Knex.QueryBuilder, name = queue.name) =>
    Number(
      (
        await where(trx('queue_messages').where({ queue: name }))
          .count({ n: '*' })
          .first()
      )?.n
    )
  const visible = (q: Knex.QueryBuilder) => q.where('visibleAt', '<=', now)
  // Visible but done with (its deliveries had, or past its TTL): dead already, moved at the next receive.
  const done = (q: Knex.QueryBuilder) =>
    queue.maxDeliveries === null
      ? q.whereRaw('0')
      : visible(q).where((w) =>
          w.where('deliveries', '>=', queue.maxDeliveries as number).orWhere('expiresAt', '<=', now)
        )
  const [visibleNow, dying, hidden, inFlight, moved] = await Promise.all([
    count(visible),
    count(done),
    count((q) => q.where('visibleAt', '>', now)),
    count((q) => q.where('visibleAt', '>', now).whereNotNull('receipt')),
    queue.deadLetterQueue ? count((q) => q, queue.deadLetterQueue) : Promise.resolve(0),
  ])
  return {
    ...queue,
    ready: visibleNow - dying,
    delayed: hidden - inFlight,
    inFlight,
    deadLetters: moved + dying,
  }
}

export async function create(trx: Knex, input: C.Payload<'queues.create'>): Promise<C.QueueInfo> {
  const { name } = input
  if (name.endsWith(DEAD_SUFFIX)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `A queue's name cannot end in ${DEAD_SUFFIX}: that is where each queue keeps its dead letters`,
      [{ path: 'name', message: `must not end in ${DEAD_SUFFIX}` }]
    )
  }
  const dead = `${name}${DEAD_SUFFIX}`
  // Every route that names a queue takes at most 100 characters: its dead letters must fit too.
  if (dead.length > MAX_NAME) {
    const most = MAX_NAME - DEAD_SUFFIX.length
    throw new DomainError(
      'VALIDATION_FAILED',
      `A queue's name may have at most ${most} characters, so that its dead-letter queue, ${DEAD_SUFFIX} after it, can be named too`,
      [{ path: 'name', message: `must be at most ${most} characters` }]
    )
  }
  const [{ n }] = await trx('queues').whereNotNull('deadLetterQueue').count({ n: '*' })
  if (Number(n) >= MAX_QUEUES) {
    throw new DomainError(
      'CONFLICT',
      `This node keeps ${MAX_QUEUES} queues already, the most it takes: delete one first`
    )
  }
  if (await trx('queues').whereIn('name', [name, dead]).first()) {
    throw new DomainError('CONFLICT', `There is already a queue named ${name}`, [
      { path: 'name', message: 'taken' },
    ])
  }
  const createdAt = new Date().toISOString()
  const deadQueue: QueueRow = {
    name: dead,
    createdAt,
    visibilityTimeoutMs: input.visibilityTimeoutMs,
    maxDeliveries: null,
    deadLetterQueue: null,
    depth: 0,
  }
  await trx('queues').insert(deadQueue)
  const queue: QueueRow = { ...input, createdAt, deadLetterQueue: dead, depth: 0 }
  await trx('queues').insert(queue)
  return infoOf(trx, queue)
}

export async function list(trx: Knex): Promise<{ queues: C.QueueInfo[] }> {
  const rows = (await trx('queues').orderBy('name')) as QueueRow[]
  const now = Date.now()
  return { queues: await Promise.all(rows.map((row) => infoOf(trx, row, now))) }
}

export async function get(trx: Knex, { name }: C.Payload<'queues.get'>): Promise<C.QueueInfo> {
  return infoOf(trx, await queueNamed(trx, name))
}

export async function remove(trx: Knex, input: C.Payload<'queues.delete'>) {
  const { name } = input
  const queue = await queueNamed(trx, name)
  await mayUse(trx, input, 'queue', name, 'manage')
  if (
    queue.deadLetterQueue === null &&
    (await trx('queues').where({ deadLetterQueue: name }).first())
  ) {
    throw new DomainError(
      'CONFLICT',
      `${name} is the dead-letter queue of ${name.slice(0, -DEAD_SUFFIX.length)}: delete that queue, and this one goes with it`
    )
  }
  const names = [queue.name, ...(queue.deadLetterQueue ? [queue.deadLetterQueue] : [])]
  await trx('topicSubscriptions').where({ name: queue.name }).delete()
  await trx('messagingGrants').where({ kind: 'queue' }).whereIn('name', names).delete()
  await trx('queue_message_ids').whereIn('queue', names).delete()
  await trx('queue_messages').whereIn('queue', names).delete()
  await trx('queues').where({ name: queue.name }).delete()
  if (queue.deadLetterQueue) await trx('queues').where({ name: queue.deadLetterQueue }).delete()
  return { deleted: names }
}

export async function purge(trx: Knex, input: C.Payload<'queues.purge'>) {
  const { name } = input
  await queueNamed(trx, name)
  await mayUse(trx, input, 'queue', name, 'manage')
  return { purged: await trx('queue_messages').where({ queue: name }).delete() }
}

export async function publish(trx: Knex, payload: C.Payload<'queues.publish'>) {
  const [outcome] = await publishAll(trx, payload.queue, [payload])
  if (!outcome.ok) throw outcome.cause
  return outcome.data
}

// A publish's messages, and their ids kept for de-duplication, each in one statement whatever
// their number, read out of one JSON array: a text for each number of rows (multi-row VALUES)
// filled the worker's cache of compiled statements (measured: after the messaging bench's
// workloads, 107 such texts held 4.4 MiB; 256 of up to 250 rows, 25 MiB). The ids go in as the
// de-duplication lookup reads them, through json_each both.
const PUBLISH = `INSERT INTO queue_messages
    (queue, message_id, body, headers, published_at, visible_at, expires_at, deliveries)
  SELECT ?1, value->>0, value->>1, value->>2, ?2, value->>3, value->>4, 0 FROM json_each(?3)
  ORDER BY key
  RETURNING seq, message_id AS messageId`
const KEEP_IDS = `INSERT INTO queue_message_ids (queue, message_id, seq)
  SELECT ?1, value->>0, value->>1 FROM json_each(?2)`

/**
 * What a run of publishes to one queue reads before it writes, in one statement (see
 * consumerView): the queue, the grants on it, and [id, seq] of each of the ids (`?1`, a JSON
 * array) it has kept before.
 */
const PUBLISHER_VIEW = `SELECT ${QUEUE_COLUMNS},
    ${GRANTS_OF_QUEUE} AS grants,
    (SELECT s.pattern FROM topic_subscriptions s WHERE s.name = q.name) AS subscribes,
    -- A dead-letter queue is named after its queue: that row is found by its key, no scan.
    (SELECT p.name FROM queues p WHERE q.name LIKE '%${DEAD_SUFFIX}'
      AND p.name = substr(q.name, 1, length(q.name) - ${DEAD_SUFFIX.length})
      AND p.dead_letter_queue = q.name) AS deadOf,
    (SELECT json_group_array(json_array(i.message_id, i.seq)) FROM queue_message_ids i
      WHERE i.queue = q.name AND i.message_id IN (SELECT value FROM json_each(?1))) AS seen
  FROM queues q WHERE q.name = ?2`

/**
 * The publishes of a batch at once, in one savepoint (the worker's run form; none when
 * enclosed), each answered as it would be alone: those to one queue share its lookup and their
 * statements (the ids seen before read at once, every new message inserted in one statement). A
 * publish refused (no such queue, not granted, the queue full) is refused alone and writes
 * nothing.
 */
publish.run = (
  db: Knex,
  payloads: C.Payload<'queues.publish'>[],
  { enclosed = false }: RunOptions = {}
): Promise<Published[]> => {
  const all = async (trx: Knex): Promise<Published[]> => {
    const byQueue = new Map<string, number[]>()
    payloads.forEach((p, i) => byQueue.set(p.queue, [...(byQueue.get(p.queue) ?? []), i]))
    const outcomes: Published[] = new Array(payloads.length)
    for (const [name, indexes] of byQueue) {
      const answered = await publishAll(
        trx,
        name,
        indexes.map((i) => payloads[i])
      )
      answered.forEach((outcome, k) => {
        outcomes[indexes[k]] = outcome.ok ? outcome : refusalOf(outcome.cause)
      })
    }
    return outcomes
  }
  return enclosed ? all(db) : inSavepointOf(db, all)
}

type Published = Outcome<{ results: C.Published[] }>

type Message = C.Payload<'queues.publish'>['messages'][number]
type Admitted = { ok: true; data: { results: C.Published[] } } | { ok: false; cause: DomainError }

/**
 * Puts the messages of publishes to one queue in it, in their order, with a few statements for
 * all of them (a statement per message made a batch of 100 cost 300 round trips to SQLite): the
 * ids seen before are read at once; each publish is admitted (its user may publish, the queue
 * has room for what it adds) in turn; the new messages are inserted in order, so their seqs
 * follow it (FIFO), and their ids kept for ever. An id seen before, or earlier in the same run,
 * is a duplicate, answered with the seq of the message it repeats.
 */
async function publishAll(
  trx: Knex,
  name: string,
  payloads: C.Payload<'queues.publish'>[]
): Promise<Admitted[]> {
  const ids = [...new Set(payloads.flatMap((p) => p.messages.map((m) => m.id)))]
  // Hand-written SQL on the transaction's connection (db/sql.ts): a knex statement costs about
  // 100 µs of its own, a few of these per group commit of publishes.
  type Row = QueueRow & {
    grants: string
    seen: string
    subscribes: string | null
    deadOf: string | null
  }
  const [row] = await withSql(trx, (sql) =>
    sql.all<Row>(PUBLISHER_VIEW, [JSON.stringify(ids), name])
  )
  if (!row) return payloads.map(() => ({ ok: false, cause: noQueue(name) }))
  const { grants: granted, seen, subscribes, deadOf, ...queue } = row
  // A subscription's queue takes its topics' messages only, and a dead-letter queue what its
  // queue gave up on: a message published into either by hand would pass for one of those (an
  // event under a topic message's id, ahead of the real one; a dead letter never delivered).
  const carried =
    subscribes !== null
      ? `Queue ${name} is a subscription to ${subscribes}: it takes its topics' messages only; publish to a topic instead`
      : deadOf !== null
        ? `Queue ${name} holds the messages queue ${deadOf} gave up on: publish to ${deadOf} instead`
        : null
  if (carried) {
    const cause = new DomainError('CONFLICT', carried, [
      { path: 'queue', message: 'takes no message published to it' },
    ])
    return payloads.map(() => ({ ok: false, cause }))
  }
  const grants = JSON.parse(granted) as GrantRow[]
  const seqOf = new Map<string, number>(JSON.parse(seen) as [string, number][])
  // Each in turn: what it adds depends on what those admitted before it added.
  const fresh = new Map<string, Message>()
  const refused: (DomainError | null)[] = []
  const mayPublish = new Map<string | undefined, Promise<unknown>>()
  for (const payload of payloads) {
    const own = payload.messages.filter((m) => !seqOf.has(m.id) && !fresh.has(m.id))
    const adds = new Set(own.map((m) => m.id)).size
    try {
      const actor = actorOf(payload)
      if (!mayPublish.has(actor)) {
        mayPublish.set(
          actor,
          mayUse(trx, payload, 'queue', name, 'publish', grants).catch((e) => e)
        )
      }
      const denied = await mayPublish.get(actor)
      if (denied) throw denied
      if (queue.depth + fresh.size + adds > MAX_DEPTH) {
        throw new DomainError(
          'CONFLICT',
          `Queue ${name} holds ${queue.depth + fresh.size} messages, and takes at most ${MAX_DEPTH}: consume some first`
        )
      }
    } catch (err) {
      if (!(err instanceof DomainError)) throw err
      refused.push(err)
      continue
    }
    for (const m of own) if (!fresh.has(m.id)) fresh.set(m.id, m)
    refused.push(null)
  }
  const now = Date.now()
  const publishedAt = new Date(now).toISOString()
  const messages = [...fresh.values()]
  if (messages.length > 0) {
    await withSql(trx, async (sql) => {
      // In the order given, so that the seqs follow it (FIFO); matched back by id.
      const rows = await sql.all<{ seq: number; messageId: string }>(PUBLISH, [
        name,
        publishedAt,
        JSON.stringify(
          messages.map((m) => [
            m.id,
            m.body,
            JSON.stringify(m.headers),
            now + m.delayMs,
            m.ttlMs === null ? null : now + m.ttlMs,
          ])
        ),
      ])
      for (const row of rows) seqOf.set(row.messageId, row.seq)
      await sql.run(KEEP_IDS, [name, JSON.stringify(messages.map((m) => [m.id, seqOf.get(m.id)]))])
    })
  }
  return refused.map((cause, k): Admitted =>
    cause === null
      ? {
          ok: true,
          data: {
            results: payloads[k].messages.map((message) => ({
              id: message.id,
              seq: seqOf.get(message.id) as number,
              duplicate: fresh.get(message.id) !== message,
            })),
          },
        }
      : { ok: false, cause }
  )
}

export async function browse(trx: Knex, input: C.Payload<'queues.browse'>) {
  const { queue: name, limit } = input
  await queueNamed(trx, name)
  await mayRead(trx, input, 'queue', [name], `queue ${name}`)
  const [{ keptTopics }] = await withSql(trx, (sql) =>
    sql.all<{ keptTopics: string }>(
      `SELECT ${KEPT_TOPICS} AS keptTopics FROM queues q WHERE q.name = ?`,
      [name]
    )
  )
  await mayReadTopicsOf(trx, input, name, keptTopics)
  const rows = await readyInOrder(trx, name, Date.now(), limit)
  return { messages: rows.map(shown) }
}

/** A message as a browse or a receive answers it, from its row. */
const shown = (row: Pick<MessageRow, Shown>) => ({
  id: row.messageId,
  seq: row.seq,
  body: JSON.parse(row.body),
  headers: JSON.parse(row.headers),
  publishedAt: row.publishedAt,
  deliveries: row.deliveries,
})
type Shown = 'seq' | 'messageId' | 'body' | 'headers' | 'publishedAt' | 'deliveries'

/**
 * Whether the queue has a message to take now, and when the next hidden one shows: what a long
 * poll looks at before and after each wait, so one statement (three through knex cost 0.6 ms),
 * with the grants on the queue: a user who may not consume from it may not wait on it either.
 */
export async function peek(trx: Knex, input: C.Payload<'queues.peek'>) {
  const { queue: name } = input
  const now = Date.now()
  const [row] = await withSql(trx, (sql) =>
    sql.all<{ grants: string; keptTopics: string; ready: number; nextAt: number | null }>(
      `SELECT ${GRANTS_OF_QUEUE} AS grants, ${KEPT_TOPICS} AS keptTopics,
         EXISTS (SELECT 1 FROM queue_messages WHERE queue = q.name AND visible_at <= ?) AS ready,
         (SELECT min(visible_at) FROM queue_messages WHERE queue = q.name AND visible_at > ?)
           AS nextAt
       FROM queues q WHERE q.name = ?`,
      [now, now, name]
    )
  )
  if (!row) throw noQueue(name)
  await mayUse(trx, input, 'queue', name, 'consume', JSON.parse(row.grants) as GrantRow[])
  await mayReadTopicsOf(trx, input, name, row.keptTopics)
  return { ready: row.ready === 1, nextVisibleAt: row.nextAt }
}

/**
 * Moves the visible messages of `queue` that have had their deliveries, or outlived their TTL,
 * to its dead-letter queue, with why in their headers.
 */
async function deadLetter(trx: Knex, queue: QueueRow, now: number): Promise<string | undefined> {
  const { deadLetterQueue, maxDeliveries } = queue
  if (!deadLetterQueue || maxDeliveries === null) return undefined
  const dead = await withSql(trx, (sql) =>
    sql.all<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM queue_messages
       WHERE queue = ? AND visible_at <= ? AND (deliveries >= ? OR expires_at <= ?)
         -- the partial index's own condition, so that only those rows are read (the migration's)
         AND (deliveries > 0 OR expires_at IS NOT NULL)
       ORDER BY seq LIMIT ?`,
      [queue.name, now, maxDeliveries, now, DEAD_LETTER_RUN]
    )
  )
  for (const row of dead) {
    const reason =
      row.deliveries >= maxDeliveries
        ? `delivered ${row.deliveries} time${row.deliveries === 1 ? '' : 's'} without an ack`
        : `expired at ${new Date(row.expiresAt as number).toISOString()} before it was consumed`
    const headers = {
      ...JSON.parse(row.headers),
      'x-dead-reason': reason,
      'x-dead-from': queue.name,
      'x-dead-deliveries': String(row.deliveries),
      'x-dead-at': new Date(now).toISOString(),
    }
    await trx('queue_messages').where({ seq: row.seq }).delete()
    const [seq] = await trx('queue_messages').insert({
      queue: deadLetterQueue,
      messageId: row.messageId,
      body: row.body,
      headers: JSON.stringify(headers),
      publishedAt: row.publishedAt,
      visibleAt: now,
      expiresAt: null,
      deliveries: 0,
      receipt: null,
    })
    await trx('queue_message_ids')
      .insert({ queue: deadLetterQueue, messageId: row.messageId, seq })
      .onConflict(['queue', 'messageId'])
      .merge()
  }
  return dead.length > 0 ? deadLetterQueue : undefined
}

/**
 * A subscription's queue holds its topics' messages: the topics its pattern covers that are kept
 * to granted users (a JSON array; empty for a queue that is no subscription). Reading the queue,
 * or its dead letters (the queue whose dead_letter_queue it is: as governsQueue finds it), takes
 * consume on each of them, as a topic's stream does (topics.feed).
 */
const KEPT_TOPICS = `(SELECT json_group_array(DISTINCT g.name)
    FROM topic_subscriptions s, messaging_grants g
    WHERE s.name IN (q.name, (SELECT p.name FROM queues p WHERE p.dead_letter_queue = q.name))
      AND g.kind = 'topic' AND ${MATCHES('g.name')})`

/** Refuses a user who may not read every kept topic (`keptTopics`) of the subscription `queue`. */
async function mayReadTopicsOf(trx: Knex, input: unknown, queue: string, keptTopics: string) {
  const topics = JSON.parse(keptTopics) as string[]
  if (topics.length > 0) await mayRead(trx, input, 'topic', topics, `subscription ${queue}`)
}

/**
 * What a consumer's turn reads before it acts, in one statement (each is a trip to SQLite's
 * thread, 0.1–0.2 ms on this machine): the queue, the grants on it, and, before a take, whether
 * a message visible at `now` is done with (its deliveries had, or past its TTL: deadLetter's own
 * condition); 0 for the rest, which take nothing.
 */
const consumerView = (beforeTake: boolean) => `SELECT ${QUEUE_COLUMNS},
    ${GRANTS_OF_QUEUE} AS grants, ${KEPT_TOPICS} AS keptTopics,
    ${
      beforeTake
        ? `EXISTS (SELECT 1 FROM queue_messages m WHERE m.queue = q.name AND m.visible_at <= ?
        AND (m.deliveries >= q.max_deliveries OR m.expires_at <= ?)
        AND (m.deliveries > 0 OR m.expires_at IS NOT NULL))`
        : '0'
    } AS dying
  FROM queues q WHERE q.name = ?`
const BEFORE_TAKE = consumerView(true)
const NO_TAKE = consumerView(false)

/**
 * A queue a consumer names, once its user may consume from it; given the `now` of a take to
 * follow, whether any message is dying then.
 */
async function consumable(
  trx: Knex,
  input: { queue: string },
  now?: number
): Promise<{ queue: QueueRow; dying: boolean }> {
  type Row = QueueRow & { grants: string; keptTopics: string; dying: number }
  const [row] = await withSql(trx, (sql) =>
    now === undefined
      ? sql.all<Row>(NO_TAKE, [input.queue])
      : sql.all<Row>(BEFORE_TAKE, [now, now, input.queue])
  )
  if (!row) throw noQueue(input.queue)
  const { grants, keptTopics, dying, ...queue } = row
  await mayUse(trx, input, 'queue', queue.name, 'consume', JSON.parse(grants) as GrantRow[])
  await mayReadTopicsOf(trx, input, queue.name, keptTopics)
  return { queue, dying: dying === 1 }
}

export async function receive(trx: Knex, input: C.Payload<'queues.receive'>) {
  const now = Date.now()
  const { queue, dying } = await consumable(trx, input, now)
  return take(trx, queue, input, now, dying)
}

/**
 * Takes the first `max` messages visible at `now`, in publish order, each under a new receipt:
 * one statement reads them by the queue's order index (see readyInOrder) and marks them taken,
 * answering them as they become. `?1` is the receipts' random parts, a JSON array, one for each
 * row by its place. On a queue with dead letters (`?6`, its deliveries, set), a message done with
 * (its deliveries had, or past its TTL) is never taken: a receive moves a run of them to the dead
 * letters first, and any beyond that run wait for the next receive to move them. A dead-letter
 * queue moves nothing on, so it delivers what it holds.
 */
const TAKE = `UPDATE queue_messages AS m
    SET receipt = m.seq || '.' || (?1 ->> r.k), deliveries = m.deliveries + 1, visible_at = ?2
  FROM (SELECT seq, row_number() OVER (ORDER BY seq) - 1 AS k
    FROM (SELECT seq FROM queue_messages INDEXED BY queue_messages_order
      WHERE queue = ?3 AND visible_at <= ?4
        AND (?6 IS NULL OR (deliveries < ?6 AND (expires_at IS NULL OR expires_at > ?4)))
      ORDER BY seq LIMIT ?5)) AS r
  WHERE m.seq = r.seq
  RETURNING seq, message_id AS messageId, body, headers, published_at AS publishedAt, deliveries,
    receipt`

/**
 * The receive proper, from a queue its user may consume from, at `now`; `dying`: a message there
 * is done with, moved to the dead letters first.
 */
async function take(
  trx: Knex,
  queue: QueueRow,
  input: Pick<C.Payload<'queues.receive'>, 'max' | 'visibilityMs'>,
  now: number,
  dying: boolean
): Promise<{ messages: C.Delivered[]; deadLettered?: string }> {
  const deadLettered = dying ? await deadLetter(trx, queue, now) : undefined
  const visibleAt = now + (input.visibilityMs ?? queue.visibilityTimeoutMs)
  // One draw of randomness for all the receipts (one each cost 2–3 µs, a tenth of a receive of 50).
  const random = randomBytes(RECEIPT_BYTES * input.max)
  const parts = Array.from({ length: input.max }, (_, i) =>
    random.subarray(i * RECEIPT_BYTES, (i + 1) * RECEIPT_BYTES).toString('base64url')
  )
  type Taken = Pick<MessageRow, Shown> & { receipt: string }
  const rows = await withSql(trx, (sql) =>
    sql.all<Taken>(TAKE, [
      JSON.stringify(parts),
      visibleAt,
      queue.name,
      now,
      input.max,
      queue.maxDeliveries,
    ])
  )
  const visibleUntil = new Date(visibleAt).toISOString()
  const messages: C.Delivered[] = rows
    .sort((a, b) => a.seq - b.seq) // RETURNING promises no order
    .map((row) => ({ ...shown(row), receipt: row.receipt, visibleUntil }))
  return { messages, ...(deadLettered && { deadLettered }) }
}

/** A receipt as take makes them: the message's seq, a dot, and its random part (base64url). */
const RECEIPT = /^[1-9][0-9]*\.[A-Za-z0-9_-]+$/

/**
 * Applies `change` (a DELETE, or an UPDATE's SET clause with its values) to the messages the
 * receipts still hold, a statement for all of them (receipts are unique, and indexed); a receipt
 * that holds none, or is given twice, is named. The caller has checked the queue and its user
 * (`consumable`).
 */
async function byReceipt(
  trx: Knex,
  input: { queue: string; receipts: string[] },
  change: 'delete' | { set: string; values: unknown[]; ends: boolean }
): Promise<{ results: C.ReceiptOutcome[] }> {
  const { queue, receipts } = input
  const held = new Set<string>()
  await withSql(trx, async (sql) => {
    // By the receipts' index: with many receipts, SQLite's planner would rather walk the
    // queue's index, every message of the queue (measured: 4 ms for 50 receipts in 25,000). The
    // receipts as one JSON array: one text whatever their number (see PUBLISH).
    const table = 'queue_messages INDEXED BY queue_messages_receipt_unique'
    const where = 'WHERE queue = ? AND receipt IN (SELECT value FROM json_each(?))'
    const given = [queue, JSON.stringify([...new Set(receipts)])]
    // A DELETE returns the rows as they were; an UPDATE as they become (a nack's receipt is
    // NULL then): which receipts hold a message is read first.
    const rows = await sql.all<{ receipt: string }>(
      change === 'delete'
        ? `DELETE FROM ${table} ${where} RETURNING receipt`
        : `SELECT receipt FROM ${table} ${where}`,
      given
    )
    if (change !== 'delete' && rows.length > 0) {
      await sql.run(`UPDATE ${table} SET ${change.set} ${where}`, [...change.values, ...given])
    }
    for (const row of rows) held.add(row.receipt)
  })
  // A receipt given twice: an ack or a nack ends its delivery at the first (the second is over);
  // an extension leaves it held, so each copy is answered as the first was.
  const once = change === 'delete' || change.ends
  return {
    results: receipts.map((receipt) =>
      (once ? held.delete(receipt) : held.has(receipt))
        ? { receipt, ok: true }
        : {
            receipt,
            ok: false,
            problem: RECEIPT.test(receipt)
              ? "no delivery of this queue holds it: the message was acknowledged already, delivered again after its visibility timeout, or the receipt is another queue's"
              : 'is not a receipt as this node gives them (<seq>.<code>, from a receive): check what was sent',
          }
    ),
  }
}

export async function ack(trx: Knex, input: C.Payload<'queues.ack'>) {
  await consumable(trx, input)
  return byReceipt(trx, input, 'delete')
}

/**
 * A consumer's turn in one write: acknowledges what it has handled, then takes the next messages
 * (the acknowledged ones are gone before the take, so never among them). The queue and its user
 * are checked once, for both.
 */
export async function ackAndReceive(trx: Knex, input: C.Payload<'queues.ackAndReceive'>) {
  // One `now` for both: acks only remove messages, so none is dying after them that was not before.
  const now = Date.now()
  const { queue, dying } = await consumable(trx, input, now)
  const { results: acked } = await byReceipt(trx, input, 'delete')
  const { messages, deadLettered } = await take(trx, queue, input, now, dying)
  return { acked, messages, ...(deadLettered && { deadLettered }) }
}

export async function nack(trx: Knex, input: C.Payload<'queues.nack'>) {
  await consumable(trx, input)
  const visibleAt = Date.now() + input.delayMs
  return byReceipt(trx, input, {
    set: 'receipt = NULL, visible_at = ?',
    values: [visibleAt],
    ends: true,
  })
}

export async function extend(trx: Knex, input: C.Payload<'queues.extend'>) {
  await consumable(trx, input)
  const visibleAt = Date.now() + input.visibilityMs
  return byReceipt(trx, input, { set: 'visible_at = ?', values: [visibleAt], ends: false })
}
