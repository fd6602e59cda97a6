import type { Knex } from 'knex'
import { dropTables } from '../db/migration-guard.ts'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('items', (table) => {
    table.text('sku').primary()
    table.text('name').notNullable()
    table.text('unit').notNullable()
    table.text('description').notNullable().defaultTo('')
    table.integer('reorder_point').notNullable().defaultTo(0)
    table.text('created_at').notNullable()
    table.text('updated_at').notNullable()
    table.check('?? >= 0', ['reorder_point'], 'items_reorder_point_not_negative')
  })
  await knex.schema.raw('CREATE INDEX items_name ON items (name COLLATE NOCASE)')
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, 'items')
}
