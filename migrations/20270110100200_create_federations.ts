import type { Knex } from 'knex'
import { ALLOW_DATA_LOSS, DataLossRefused, dropTables } from '../db/migration-guard.ts'

// Federation: the messages on the topics a rule's pattern matches (published here, or the node's
// own events on system topics) are carried to peer warehouses through the outbox the transfers
// use, store-and-forward: a row per message and peer, written by a trigger in the transaction of
// the publish or of the change, delivered in order and applied once by the peer's inbox, which
// publishes it on the same topic there with its origin. A message that came from another
// warehouse (`origin` set) is never carried on: no loop can form.
//
// The outbox's kinds are a CHECK, so the table is made again with the new kind, rows and all.

const TRANSFER_KINDS = [
  'transfer.dispatched',
  'transfer.received',
  'transfer.rejected',
  'transfer.cancel_requested',
  'transfer.cancel_accepted',
  'transfer.cancel_refused',
]
const FEDERATED = 'message.federated'
/**
 * The largest event data or message (body and headers) carried: its outbox row must fit one
 * request to the peer (60 KiB) with its envelope, or it would hold up the transfers behind it.
 * The API refuses a larger topic message; a larger event (a transfer of many hundred lines)
 * stays on this node's topics only.
 */
const MOST_BYTES = 48 * 1024
const list = (values: string[]) => values.map((v) => `'${v}'`).join(', ')

async function makeOutbox(trx: Knex.Transaction, kinds: string[]): Promise<void> {
  await trx.raw(`CREATE TABLE outbox_next (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    to_node TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN (${list(kinds)})),
    transfer_id TEXT NOT NULL,
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT,
    last_error TEXT,
    delivered_at TEXT,
    status TEXT CHECK (status IS NULL OR status IN ('applied', 'duplicate', 'refused')),
    CONSTRAINT outbox_delivered CHECK ((delivered_at IS NULL) = (status IS NULL))
  )`)
  await trx.raw('INSERT INTO outbox_next SELECT * FROM outbox')
  await trx.raw('DROP TABLE outbox')
  await trx.raw('ALTER TABLE outbox_next RENAME TO outbox')
  await trx.raw('CREATE INDEX outbox_pending ON outbox (to_node, seq) WHERE delivered_at IS NULL')
  await trx.raw('CREATE INDEX outbox_transfer ON outbox (transfer_id, seq)')
}

// As the subscriptions match (20270110100100), for a rule `f`.
const DOTS = (name: string) => `(length(${name}) - length(replace(${name}, '.', '')))`
const MATCHES = (topic: string) =>
  `${topic} GLOB f.glob AND (${DOTS(topic)} = f.dots OR (f.open AND ${DOTS(topic)} > f.dots))`
/** The peers a message on `topic` goes to: members but this node and those that left, named by a rule. */
const PEERS = (topic: string) => `members m
  WHERE m.id IS NOT (SELECT value FROM node_settings WHERE key = 'id') AND m.state != 'left'
    AND EXISTS (SELECT 1 FROM federations f WHERE ${MATCHES(topic)}
      AND (f.peers IS NULL OR m.name IN (SELECT value FROM json_each(f.peers))))`

export async function up(knex: Knex): Promise<void> {
  await knex.transaction(async (trx) => {
    await makeOutbox(trx, [...TRANSFER_KINDS, FEDERATED])
    await trx.schema.createTable('federations', (table) => {
      table.text('pattern').primary()
      table.text('glob').notNullable()
      table.integer('dots').notNullable()
      table.boolean('open').notNullable()
      // The peers' warehouse names (JSON array); null: every member.
      table.text('peers').nullable()
      table.text('created_at').notNullable()
      table.check('?? IS NULL OR json_valid(??)', ['peers', 'peers'], 'federations_peers_json')
    })
    await trx.raw(`CREATE TRIGGER events_to_federation AFTER INSERT ON events
      BEGIN
        INSERT INTO outbox (id, to_node, kind, transfer_id, payload, created_at)
        SELECT 'federated:event:' || e.seq || ':' || m.id, m.id, '${FEDERATED}', e.topic,
          json_object('topic', e.topic, 'id', 'event:' || e.seq,
            'body', json_object('type', e.type, 'subject', e.subject, 'seq', e.seq,
              'data', json(e.data), 'createdAt', e.created_at),
            'headers', json_object('x-event-seq', CAST(e.seq AS TEXT)),
            'publishedAt', e.created_at),
          e.created_at
        FROM event_topics e, ${PEERS('e.topic')} AND e.seq = NEW.seq
          AND length(e.data) <= ${MOST_BYTES};
      END`)
    await trx.raw(`CREATE TRIGGER topic_messages_to_federation AFTER INSERT ON topic_messages
      WHEN NEW.origin IS NULL
      BEGIN
        INSERT INTO outbox (id, to_node, kind, transfer_id, payload, created_at)
        SELECT 'federated:topic:' || NEW.seq || ':' || m.id, m.id, '${FEDERATED}', NEW.topic,
          json_object('topic', NEW.topic, 'id', NEW.message_id, 'body', json(NEW.body),
            'headers', json(NEW.headers), 'publishedAt', NEW.published_at),
          NEW.published_at
        FROM ${PEERS('NEW.topic')} AND length(NEW.body) + length(NEW.headers) <= ${MOST_BYTES};
      END`)
  })
}

export async function down(knex: Knex): Promise<void> {
  const [{ n }] = await knex('outbox').where({ kind: FEDERATED }).count({ n: '*' })
  if (Number(n) > 0 && process.env[ALLOW_DATA_LOSS] !== '1') {
    throw new DataLossRefused([{ table: 'outbox', count: Number(n) }])
  }
  await knex.raw('DROP TRIGGER IF EXISTS topic_messages_to_federation')
  await knex.raw('DROP TRIGGER IF EXISTS events_to_federation')
  await dropTables(knex, 'federations')
  await knex.transaction(async (trx) => {
    await trx('outbox').where({ kind: FEDERATED }).delete()
    await makeOutbox(trx, TRANSFER_KINDS)
  })
}
