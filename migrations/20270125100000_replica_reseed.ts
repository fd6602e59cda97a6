import type { Knex } from 'knex'

// A replica an admin drops to follow its owner afresh (POST /replicas/:nodeId/reseed): its owner's
// ledger parted from it for good (an accepted rollback), so it can never be mended. Its rows stay
// append-only, but for that one step: the transaction that deletes them names the replica in
// node_settings (key `reseeding`) first and removes the name after, and the triggers let a
// delete of that replica's rows through only then.
const TABLES: [table: string, message: string][] = [
  ['replica_events', 'replica events are append-only'],
  ['replica_movements', 'replica movements are append-only'],
]

export async function up(knex: Knex): Promise<void> {
  for (const [table, message] of TABLES) {
    await knex.raw(`DROP TRIGGER ${table}_append_only_delete`)
    await knex.raw(`CREATE TRIGGER ${table}_append_only_delete
      BEFORE DELETE ON ${table}
      WHEN (SELECT value FROM node_settings WHERE key = 'reseeding') IS NOT OLD.node_id
      BEGIN SELECT RAISE(ABORT, '${message}'); END`)
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const [table, message] of TABLES) {
    await knex.raw(`DROP TRIGGER ${table}_append_only_delete`)
    await knex.raw(`CREATE TRIGGER ${table}_append_only_delete
      BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, '${message}'); END`)
  }
}
