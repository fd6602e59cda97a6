import type { Knex } from 'knex'

// A pattern whose `*` comes before a last `>` (`*.eu.>`) matched names it should not: the GLOB's
// `*` took several words (`orders.fr` in `orders.fr.eu.x`), which the count of dots allowed since
// `>` lets the name have more. The triggers that copy topic messages and events into
// subscriptions (20270110100100) and into the federation outbox (20270110100200) are made again
// so that, for such a pattern, every word before the `>` is compared with the name's word at the
// same place: the name's words read as a JSON array made from the name quoted by SQLite
// (json_quote escapes whatever a transfer id holds; a dot is never escaped).
// The operations match the same way (db/operations/patterns.ts).

const DOTS = (name: string) => `(length(${name}) - length(replace(${name}, '.', '')))`
/** The words of the name `topic` as a JSON array's text. */
const WORDS = (topic: string) => `('[' || replace(json_quote(${topic}), '.', '","') || ']')`
/** For an open pattern of the row `r` with a `*` before its `>`: each word before `>` in place. */
const IN_PLACE = (
  topic: string,
  r: string
) => `(instr(substr(${r}.glob, 1, length(${r}.glob) - 1), '*') = 0
    OR NOT EXISTS (SELECT 1 FROM json_each('["' || replace(${r}.glob, '.', '","') || '"]') p
      WHERE p.key < ${r}.dots AND p.value <> '*'
        AND p.value IS NOT json_extract(${WORDS(topic)}, '$[' || p.key || ']')))`
const MATCHES = (topic: string, r: string, exact: boolean) =>
  `${topic} GLOB ${r}.glob AND (${DOTS(topic)} = ${r}.dots OR (${r}.open AND ${DOTS(topic)} > ${r}.dots${exact ? ` AND ${IN_PLACE(topic, r)}` : ''}))`

const NOW_MS = `CAST(unixepoch('subsec') * 1000 AS INTEGER)`
const FEDERATED = 'message.federated'
const MOST_BYTES = 48 * 1024
const PEERS = (topic: string, exact: boolean) => `members m
  WHERE m.id IS NOT (SELECT value FROM node_settings WHERE key = 'id') AND m.state != 'left'
    AND EXISTS (SELECT 1 FROM federations f WHERE ${MATCHES(topic, 'f', exact)}
      AND (f.peers IS NULL OR m.name IN (SELECT value FROM json_each(f.peers))))`

/** The four triggers, as 20270110100100 and 20270110100200 made them, or matching word by word. */
async function triggers(knex: Knex, exact: boolean): Promise<void> {
  for (const name of [
    'events_to_subscriptions',
    'topic_messages_to_subscriptions',
    'events_to_federation',
    'topic_messages_to_federation',
  ]) {
    await knex.raw(`DROP TRIGGER IF EXISTS ${name}`)
  }
  await knex.raw(`CREATE TRIGGER events_to_subscriptions AFTER INSERT ON events
    BEGIN
      INSERT INTO queue_messages (queue, message_id, body, headers, published_at, visible_at, deliveries)
      SELECT s.name, 'event:' || e.seq,
        json_object('type', e.type, 'subject', e.subject, 'seq', e.seq, 'data', json(e.data),
          'createdAt', e.created_at),
        json_object('x-topic', e.topic, 'x-event-seq', CAST(e.seq AS TEXT)),
        e.created_at, ${NOW_MS}, 0
      FROM event_topics e, topic_subscriptions s
      WHERE e.seq = NEW.seq AND ${MATCHES('e.topic', 's', exact)};
    END`)
  await knex.raw(`CREATE TRIGGER topic_messages_to_subscriptions AFTER INSERT ON topic_messages
    BEGIN
      INSERT INTO queue_messages (queue, message_id, body, headers, published_at, visible_at, deliveries)
      SELECT s.name, NEW.message_id, NEW.body,
        json_set(NEW.headers, '$."x-topic"', NEW.topic, '$."x-topic-seq"', CAST(NEW.seq AS TEXT)),
        NEW.published_at, ${NOW_MS}, 0
      FROM topic_subscriptions s
      WHERE ${MATCHES('NEW.topic', 's', exact)};
    END`)
  await knex.raw(`CREATE TRIGGER events_to_federation AFTER INSERT ON events
      BEGIN
        INSERT INTO outbox (id, to_node, kind, transfer_id, payload, created_at)
        SELECT 'federated:event:' || e.seq || ':' || m.id, m.id, '${FEDERATED}', e.topic,
          json_object('topic', e.topic, 'id', 'event:' || e.seq,
            'body', json_object('type', e.type, 'subject', e.subject, 'seq', e.seq,
              'data', json(e.data), 'createdAt', e.created_at),
            'headers', json_object('x-event-seq', CAST(e.seq AS TEXT)),
            'publishedAt', e.created_at),
          e.created_at
        FROM event_topics e, ${PEERS('e.topic', exact)} AND e.seq = NEW.seq
          AND length(e.data) <= ${MOST_BYTES};
      END`)
  await knex.raw(`CREATE TRIGGER topic_messages_to_federation AFTER INSERT ON topic_messages
      WHEN NEW.origin IS NULL
      BEGIN
        INSERT INTO outbox (id, to_node, kind, transfer_id, payload, created_at)
        SELECT 'federated:topic:' || NEW.seq || ':' || m.id, m.id, '${FEDERATED}', NEW.topic,
          json_object('topic', NEW.topic, 'id', NEW.message_id, 'body', json(NEW.body),
            'headers', json(NEW.headers), 'publishedAt', NEW.published_at),
          NEW.published_at
        FROM ${PEERS('NEW.topic', exact)} AND length(NEW.body) + length(NEW.headers) <= ${MOST_BYTES};
      END`)
}

export async function up(knex: Knex): Promise<void> {
  await knex.transaction((trx) => triggers(trx, true))
}

export async function down(knex: Knex): Promise<void> {
  await knex.transaction((trx) => triggers(trx, false))
}
