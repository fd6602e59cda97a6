import type { Knex } from 'knex'
import { dropTables } from '../db/migration-guard.ts'

const GENESIS_HASH = '0'.repeat(64)

// Read-only replicas of the peers' ledgers. For each peer (node_id):
// - replica_events: its event log verbatim, a gap-free prefix of the owner's (every type, so the
//   replica can be served on to others, and a restore reproduces the owner's log exactly);
// - replica_movements: the ledger rows those events carry, chained like the owner's own;
// - replica_balances and replica_items: the projections (on hand per SKU, the catalogue);
// - replicas: the cursor (the last event and the last ledger row held) and the replica's state.
// The cursor commits with the rows and projections (db/replicas/apply.ts), so it can never run
// ahead of or behind the data. As with the ledger, the schema defends itself: rows are numbered
// on without gaps, each ledger row links to the one before, and nothing is changed or removed.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('replicas', (table) => {
    table.text('node_id').primary()
    table.text('name').notNullable().defaultTo('')
    table.integer('events_seq').notNullable().defaultTo(0)
    table.integer('ledger_seq').notNullable().defaultTo(0)
    table.text('ledger_hash').notNullable().defaultTo(GENESIS_HASH)
    table
      .text('state')
      .notNullable()
      .defaultTo('never_synced')
      .checkIn(['never_synced', 'catching_up', 'live', 'broken'])
    table.text('reason').nullable().checkIn(['chain_broken', 'forked', 'gap'])
    table.text('last_error').nullable()
    // The owner's head as the last page told it (the gossip carries newer ones, in memory).
    table.integer('head_events_seq').notNullable().defaultTo(0)
    table.integer('head_ledger_seq').notNullable().defaultTo(0)
    // When the owner's feed last said this replica held everything (this node's clock).
    table.text('caught_up_at').nullable()
    table.text('created_at').notNullable()
    table.text('updated_at').notNullable()
  })

  await knex.schema.createTable('replica_events', (table) => {
    table.text('node_id').notNullable()
    table.integer('seq').notNullable()
    table.text('type').notNullable()
    table.text('subject').notNullable()
    table.text('data').notNullable()
    table.text('created_at').notNullable()
    table.primary(['node_id', 'seq'])
    table.check('json_valid(??)', ['data'], 'replica_events_data_json')
  })
  await knex.schema.raw(`CREATE TRIGGER replica_events_numbered BEFORE INSERT ON replica_events
    WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM replica_events
      WHERE node_id = NEW.node_id)
    BEGIN SELECT RAISE(ABORT, 'replica events are numbered without gaps'); END`)
  await appendOnly(knex, 'replica_events', 'replica events are append-only')

  await knex.schema.createTable('replica_movements', (table) => {
    table.text('node_id').notNullable()
    table.integer('seq').notNullable()
    table.text('type').notNullable()
    table.text('sku').notNullable()
    table.integer('quantity').notNullable()
    table.integer('delta').notNullable()
    table.integer('counted_quantity').nullable()
    table.integer('balance_after').notNullable()
    table.text('reference').notNullable().defaultTo('')
    table.text('note').notNullable().defaultTo('')
    table.text('created_at').notNullable()
    table.text('prev_hash').notNullable()
    table.text('hash').notNullable()
    // The owner's event that carried it.
    table.integer('event_seq').notNullable()
    table.primary(['node_id', 'seq'])
    table.index(['node_id', 'sku', 'seq', 'delta'], 'replica_movements_sku_seq')
    table.index(['node_id', 'created_at'], 'replica_movements_created_at')
  })
  // Numbered on and linked to the row before, whatever code path inserts: a replica cannot hold
  // a row that does not chain, even if the apply's own checks were bypassed.
  await knex.schema.raw(`CREATE TRIGGER replica_movements_chained BEFORE INSERT ON replica_movements
    WHEN NEW.prev_hash IS NOT coalesce(
      (SELECT hash FROM replica_movements WHERE node_id = NEW.node_id AND seq = NEW.seq - 1),
      CASE WHEN NEW.seq = 1 THEN '${GENESIS_HASH}' END)
    OR NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM replica_movements
      WHERE node_id = NEW.node_id)
    BEGIN SELECT RAISE(ABORT, 'replica movements are numbered on and chained to the row before'); END`)
  await appendOnly(knex, 'replica_movements', 'replica movements are append-only')

  await knex.schema.createTable('replica_balances', (table) => {
    table.text('node_id').notNullable()
    table.text('sku').notNullable()
    table.integer('on_hand').notNullable()
    table.integer('last_seq').notNullable()
    table.text('updated_at').notNullable()
    table.primary(['node_id', 'sku'])
  })

  await knex.schema.createTable('replica_items', (table) => {
    table.text('node_id').notNullable()
    table.text('sku').notNullable()
    table.text('name').notNullable()
    table.text('unit').notNullable()
    table.text('description').notNullable().defaultTo('')
    table.integer('reorder_point').nullable()
    table.text('created_at').notNullable()
    table.text('updated_at').notNullable()
    table.primary(['node_id', 'sku'])
  })
}

async function appendOnly(knex: Knex, table: string, message: string): Promise<void> {
  for (const what of ['update', 'delete']) {
    await knex.schema.raw(`CREATE TRIGGER ${table}_append_only_${what}
      BEFORE ${what.toUpperCase()} ON ${table} BEGIN SELECT RAISE(ABORT, '${message}'); END`)
  }
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(
    knex,
    'replica_items',
    'replica_balances',
    'replica_movements',
    'replica_events',
    'replicas'
  )
}
