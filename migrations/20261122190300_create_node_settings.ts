import type { Knex } from 'knex'
import { dropTables } from '../db/migration-guard.ts'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('node_settings', (table) => {
    table.text('key').primary()
    table.text('value').notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, 'node_settings')
}
