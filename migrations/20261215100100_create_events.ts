import type { Knex } from 'knex'
import { dropTables } from '../db/migration-guard.ts'

// The node's event log: what others must hear about (every movement, item change and member
// change; later transfer steps and published messages), written in the same transaction as the
// change. Append-only like the ledger, and numbered like it: each seq is the last plus one, which
// the schema enforces, so a reader that has seen seq N has seen everything up to N. `data` is the
// whole row (JSON). The log starts empty: what came before is in the ledger, the catalogue and the
// peer list.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('events', (table) => {
    table.integer('seq').primary()
    table.text('type').notNullable()
    table.text('subject').notNullable()
    table.text('data').notNullable()
    table.text('created_at').notNullable()
    table.check('json_valid(??)', ['data'], 'events_data_json')
  })
  await knex.schema.raw(`CREATE TRIGGER events_numbered BEFORE INSERT ON events
    WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM events)
    BEGIN SELECT RAISE(ABORT, 'events are numbered without gaps: each seq is the last plus one'); END`)
  await knex.schema.raw(`CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`)
  await knex.schema.raw(`CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`)
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, 'events')
}
