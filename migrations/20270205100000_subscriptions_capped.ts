import type { Knex } from 'knex'

// A subscription's queue takes no more copies once it holds MOST messages, as a publish to a queue
// is refused past it (db/operations/queues.ts MAX_DEPTH): the triggers that fill subscriptions
// (20270110100100, made again in 20270112100000) copied into them without a bound, so a
// subscription nobody consumed any more, fed by every movement or by a peer's federated topic,
// grew until the disk was full, and then every write of the warehouse was refused. A full
// subscription's copies are counted instead, in its `missed`, and once it has missed one it takes
// no more, consumed or not: what it holds ends where its gap starts, so its consumer, once it has
// read it all, reads on from the event log or the topic at the last seq it got, and makes it
// again from there. (Taking copies again once consumed below the bound would put the new ones
// after the gap with nothing to say it is there.) The same bound holds for a new subscription's
// first fill (db/operations/topics.ts).

/** The most messages a queue holds: MAX_DEPTH of db/operations/queues.ts when this was written. */
const MOST = 1_000_000

// As in 20270112100000: a pattern's words matched in place.
const DOTS = (name: string) => `(length(${name}) - length(replace(${name}, '.', '')))`
const WORDS = (topic: string) => `('[' || replace(json_quote(${topic}), '.', '","') || ']')`
const IN_PLACE = (
  topic: string,
  r: string
) => `(instr(substr(${r}.glob, 1, length(${r}.glob) - 1), '*') = 0
    OR NOT EXISTS (SELECT 1 FROM json_each('["' || replace(${r}.glob, '.', '","') || '"]') p
      WHERE p.key < ${r}.dots AND p.value <> '*'
        AND p.value IS NOT json_extract(${WORDS(topic)}, '$[' || p.key || ']')))`
const MATCHES = (topic: string, r: string) =>
  `${topic} GLOB ${r}.glob AND (${DOTS(topic)} = ${r}.dots OR (${r}.open AND ${DOTS(topic)} > ${r}.dots AND ${IN_PLACE(topic, r)}))`
const NOW_MS = `CAST(unixepoch('subsec') * 1000 AS INTEGER)`

/**
 * The subscriptions (`s`) of the topic `topic` that take a copy (none missed, and fewer than MOST
 * held), or that miss it. The depth is read per subscription, not joined: with no statistics
 * SQLite would scan every queue (the dead-letter queues too) for each event.
 */
const SUBSCRIBED = (from: string, topic: string, where: string, full: boolean) => {
  const depth = `(SELECT depth FROM queues q WHERE q.name = s.name)`
  const takes = `s.missed = 0 AND ${depth} < ${MOST}`
  return `FROM ${from}topic_subscriptions s
    WHERE ${where} AND ${MATCHES(topic, 's')} AND ${full ? `NOT (${takes})` : takes}`
}

/** The two triggers: bounded (and counting what a full one misses), or as 20270112100000 made them. */
async function triggers(knex: Knex, bounded: boolean): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS events_to_subscriptions')
  await knex.raw('DROP TRIGGER IF EXISTS topic_messages_to_subscriptions')
  const events = (full: boolean) =>
    bounded
      ? SUBSCRIBED('event_topics e, ', 'e.topic', 'e.seq = NEW.seq', full)
      : `FROM event_topics e, topic_subscriptions s WHERE e.seq = NEW.seq AND ${MATCHES('e.topic', 's')}`
  const messages = (full: boolean) =>
    bounded
      ? SUBSCRIBED('', 'NEW.topic', '1', full)
      : `FROM topic_subscriptions s WHERE ${MATCHES('NEW.topic', 's')}`
  // Run only when there is a subscription: a restore appends a million events. With none, an
  // event's insert took 5.2-7.9 µs with the two statements below, 3.2-4.7 with the one before
  // them, 2.5-2.9 with this WHEN (100,000 events in one statement, three runs; zz-evtrig.ts).
  const only = bounded ? 'WHEN EXISTS (SELECT 1 FROM topic_subscriptions)' : ''
  // The count first: the copies below fill a queue to MOST, which is not a miss.
  const missed = (from: string) =>
    bounded
      ? `UPDATE topic_subscriptions SET missed = missed + 1 WHERE name IN (SELECT s.name ${from});`
      : ''
  await knex.raw(`CREATE TRIGGER events_to_subscriptions AFTER INSERT ON events
    ${only}
    BEGIN
      ${missed(events(true))}
      INSERT INTO queue_messages (queue, message_id, body, headers, published_at, visible_at, deliveries)
      SELECT s.name, 'event:' || e.seq,
        json_object('type', e.type, 'subject', e.subject, 'seq', e.seq, 'data', json(e.data),
          'createdAt', e.created_at),
        json_object('x-topic', e.topic, 'x-event-seq', CAST(e.seq AS TEXT)),
        e.created_at, ${NOW_MS}, 0
      ${events(false)};
    END`)
  await knex.raw(`CREATE TRIGGER topic_messages_to_subscriptions AFTER INSERT ON topic_messages
    ${only}
    BEGIN
      ${missed(messages(true))}
      INSERT INTO queue_messages (queue, message_id, body, headers, published_at, visible_at, deliveries)
      SELECT s.name, NEW.message_id, NEW.body,
        json_set(NEW.headers, '$."x-topic"', NEW.topic, '$."x-topic-seq"', CAST(NEW.seq AS TEXT)),
        NEW.published_at, ${NOW_MS}, 0
      ${messages(false)};
    END`)
}

export async function up(knex: Knex): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx.raw('ALTER TABLE topic_subscriptions ADD COLUMN missed INTEGER NOT NULL DEFAULT 0')
    await triggers(trx, true)
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.transaction(async (trx) => {
    await triggers(trx, false)
    await trx.raw('ALTER TABLE topic_subscriptions DROP COLUMN missed')
  })
}
