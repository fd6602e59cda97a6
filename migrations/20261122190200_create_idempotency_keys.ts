import type { Knex } from 'knex'
import { dropTables } from '../db/migration-guard.ts'

// Kept forever, like the ledger: a retry is recognised however late it comes.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('idempotency_keys', (table) => {
    table.text('key').primary()
    table.text('op').notNullable()
    table.text('fingerprint').notNullable()
    table.boolean('ok').notNullable()
    table.text('result').notNullable()
    table.text('created_at').notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, 'idempotency_keys')
}
