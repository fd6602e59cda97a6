import type { Knex } from 'knex'
import { dropTables } from '../db/migration-guard.ts'

// Topics and their durable subscriptions. A subscription is a queue (20270110100000) of its own
// that gets a copy of every message on the topics its pattern matches, taken with the same
// receive and ack. Two sources feed them, each by a trigger in the transaction that writes it:
// - the event log: every movement, item change, transfer step and member change is on a system
//   topic (stock.<sku>, item.<sku>, transfer.<id>, member.<id>), so a subscriber never misses one
//   and never sees one that did not commit;
// - messages published to a topic, kept for its retention.
// A pattern's dotted tokens match one token each, `*` any one token, and a last `>` one or more:
// stored as a GLOB with `*` for each wildcard, the pattern's count of dots, and whether it ends
// in `>` (then the name may have more dots). A `*` matching a dot would give the name more dots
// than the pattern, so the count keeps each to one token.
const DOTS = (name: string) => `(length(${name}) - length(replace(${name}, '.', '')))`
const MATCHES = (topic: string) =>
  `${topic} GLOB s.glob AND (${DOTS(topic)} = s.dots OR (s.open AND ${DOTS(topic)} > s.dots))`
const NOW_MS = `CAST(unixepoch('subsec') * 1000 AS INTEGER)`

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('topics', (table) => {
    table.text('name').primary()
    table.text('created_at').notNullable()
    table.bigInteger('retention_ms').notNullable()
    table.integer('retention_count').notNullable()
  })
  // Not tied to a row of topics: a message from another warehouse (federation) arrives on the
  // topic it was published to there, made here or not. `origin` is that warehouse's id.
  await knex.schema.createTable('topic_messages', (table) => {
    table.increments('seq')
    table.text('topic').notNullable()
    table.text('message_id').notNullable()
    table.text('body').notNullable()
    table.text('headers').notNullable()
    table.text('published_at').notNullable()
    table.text('origin').nullable()
    table.index(['topic', 'seq'])
  })
  await knex.schema.createTable('topic_message_ids', (table) => {
    table.text('topic').notNullable()
    table.text('message_id').notNullable()
    table.integer('seq').notNullable()
    table.primary(['topic', 'message_id'])
  })
  await knex.schema.createTable('topic_subscriptions', (table) => {
    table.text('name').primary().references('name').inTable('queues')
    table.text('pattern').notNullable()
    table.text('glob').notNullable()
    table.integer('dots').notNullable()
    table.boolean('open').notNullable()
    table.text('created_at').notNullable()
  })
  // The system topic of each event of the log.
  await knex.schema.raw(`CREATE VIEW event_topics AS
    SELECT seq, type, subject, data, created_at,
      CASE type
        WHEN 'movement.recorded' THEN 'stock.' || subject
        WHEN 'item.created' THEN 'item.' || subject
        WHEN 'item.updated' THEN 'item.' || subject
        WHEN 'transfer.changed' THEN 'transfer.' || subject
        WHEN 'member.changed' THEN 'member.' || subject
        ELSE 'event.' || type
      END AS topic
    FROM events`)
  await knex.schema.raw(`CREATE TRIGGER events_to_subscriptions AFTER INSERT ON events
    BEGIN
      INSERT INTO queue_messages (queue, message_id, body, headers, published_at, visible_at, deliveries)
      SELECT s.name, 'event:' || e.seq,
        json_object('type', e.type, 'subject', e.subject, 'seq', e.seq, 'data', json(e.data),
          'createdAt', e.created_at),
        json_object('x-topic', e.topic, 'x-event-seq', CAST(e.seq AS TEXT)),
        e.created_at, ${NOW_MS}, 0
      FROM event_topics e, topic_subscriptions s
      WHERE e.seq = NEW.seq AND ${MATCHES('e.topic')};
    END`)
  await knex.schema
    .raw(`CREATE TRIGGER topic_messages_to_subscriptions AFTER INSERT ON topic_messages
    BEGIN
      INSERT INTO queue_messages (queue, message_id, body, headers, published_at, visible_at, deliveries)
      SELECT s.name, NEW.message_id, NEW.body,
        json_set(NEW.headers, '$."x-topic"', NEW.topic, '$."x-topic-seq"', CAST(NEW.seq AS TEXT)),
        NEW.published_at, ${NOW_MS}, 0
      FROM topic_subscriptions s
      WHERE ${MATCHES('NEW.topic')};
    END`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.raw('DROP TRIGGER IF EXISTS topic_messages_to_subscriptions')
  await knex.schema.raw('DROP TRIGGER IF EXISTS events_to_subscriptions')
  await knex.schema.raw('DROP VIEW IF EXISTS event_topics')
  await dropTables(knex, 'topic_subscriptions', 'topic_message_ids', 'topic_messages', 'topics')
}
