import type { Knex } from 'knex'
import { dropTables } from '../db/migration-guard.ts'

// Durable queues: each queue, with its visibility timeout and how many deliveries a message gets
// before it goes to the queue's dead-letter queue (itself a queue, named <queue>.dead, with no
// further dead-lettering); its messages, each hidden until `visible_at` (ms since the epoch) while
// a consumer holds it under `receipt`; and every message id ever published to a queue, kept after
// the message is acknowledged, so that a publish sent again is taken once, with no time window;
// and who may use a queue or a topic, when it is kept to some users.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('queues', (table) => {
    table.text('name').primary()
    table.text('created_at').notNullable()
    table.integer('visibility_timeout_ms').notNullable()
    table.integer('max_deliveries').nullable()
    table.text('dead_letter_queue').nullable().references('name').inTable('queues')
    // Its messages now, kept by the triggers below: a publish past the cap is refused at no cost.
    table.integer('depth').notNullable().defaultTo(0)
    table.check('?? > 0', ['visibility_timeout_ms'], 'queues_visibility_positive')
    table.check(
      '?? IS NULL OR ?? > 0',
      ['max_deliveries', 'max_deliveries'],
      'queues_deliveries_positive'
    )
  })
  await knex.schema.createTable('queue_messages', (table) => {
    table.increments('seq')
    table.text('queue').notNullable().references('name').inTable('queues')
    table.text('message_id').notNullable()
    table.text('body').notNullable()
    table.text('headers').notNullable()
    table.text('published_at').notNullable()
    table.bigInteger('visible_at').notNullable()
    table.bigInteger('expires_at').nullable()
    table.integer('deliveries').notNullable().defaultTo(0)
    table.text('receipt').nullable().unique()
    table.index(['queue', 'visible_at', 'seq'], 'queue_messages_ready')
    // A receive takes the oldest visible: read in seq order, it stops after the few it takes.
    table.index(['queue', 'seq'], 'queue_messages_order')
    table.check('?? >= 0', ['deliveries'], 'queue_messages_deliveries')
  })
  await knex.schema.createTable('queue_message_ids', (table) => {
    table.text('queue').notNullable().references('name').inTable('queues')
    table.text('message_id').notNullable()
    table.integer('seq').notNullable()
    table.primary(['queue', 'message_id'])
  })
  // The only messages a receive may have to dead-letter: delivered before, or with a TTL.
  await knex.schema.raw(`CREATE INDEX queue_messages_may_die ON queue_messages (queue, visible_at)
    WHERE deliveries > 0 OR expires_at IS NOT NULL`)
  await knex.schema.raw(`CREATE TRIGGER queue_messages_depth_insert AFTER INSERT ON queue_messages
    BEGIN UPDATE queues SET depth = depth + 1 WHERE name = NEW.queue; END`)
  await knex.schema.raw(`CREATE TRIGGER queue_messages_depth_delete AFTER DELETE ON queue_messages
    BEGIN UPDATE queues SET depth = depth - 1 WHERE name = OLD.queue; END`)
  // Who may use a queue or a topic: none listed, any operator publishes and consumes and an admin
  // manages; once one user is listed, only those listed (and admins) may, as listed.
  await knex.schema.createTable('messaging_grants', (table) => {
    table.text('kind').notNullable().checkIn(['queue', 'topic'])
    table.text('name').notNullable()
    table.text('user_name').notNullable().references('name').inTable('users')
    table.boolean('publish').notNullable()
    table.boolean('consume').notNullable()
    table.boolean('manage').notNullable()
    table.primary(['kind', 'name', 'user_name'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, 'messaging_grants', 'queue_message_ids', 'queue_messages', 'queues')
}
