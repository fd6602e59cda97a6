import type { Knex } from 'knex'
import { dropTables } from '../db/migration-guard.ts'

// The ledger is the truth: movements are appended and never changed; balances are its projection,
// written in the same transaction. The triggers make "never changed" hold even for a stray UPDATE.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('movements', (table) => {
    table.integer('seq').primary()
    table.text('type').notNullable().checkIn(['receipt', 'issue', 'adjustment'])
    table.text('sku').notNullable().references('sku').inTable('items')
    table.integer('quantity').notNullable()
    table.integer('delta').notNullable()
    table.integer('counted_quantity').nullable()
    table.integer('balance_after').notNullable()
    table.text('reference').notNullable().defaultTo('')
    table.text('note').notNullable().defaultTo('')
    table.text('created_at').notNullable()
    table.text('prev_hash').notNullable()
    table.text('hash').notNullable()
    table.check('?? >= 0 AND ?? = abs(??)', ['quantity', 'quantity', 'delta'], 'movements_quantity')
    table.check('?? >= 0', ['balance_after'], 'movements_balance_after_not_negative')
    table.check(
      '?? IS NULL OR ?? >= 0',
      ['counted_quantity', 'counted_quantity'],
      'movements_count'
    )
    table.index(['sku', 'seq'], 'movements_sku_seq')
    table.index(['created_at'], 'movements_created_at')
  })
  await knex.schema.raw(`CREATE TRIGGER movements_append_only_update BEFORE UPDATE ON movements
    BEGIN SELECT RAISE(ABORT, 'movements are append-only'); END`)
  await knex.schema.raw(`CREATE TRIGGER movements_append_only_delete BEFORE DELETE ON movements
    BEGIN SELECT RAISE(ABORT, 'movements are append-only'); END`)

  await knex.schema.createTable('balances', (table) => {
    table.text('sku').primary().references('sku').inTable('items')
    table.integer('on_hand').notNullable().defaultTo(0)
    table.integer('last_seq').nullable()
    table.text('updated_at').notNullable()
  })
  // Stock never goes negative, whatever code path writes it.
  await knex.schema.raw(`CREATE TRIGGER balances_not_negative_insert BEFORE INSERT ON balances
    WHEN NEW.on_hand < 0 BEGIN SELECT RAISE(ABORT, 'on hand cannot be negative'); END`)
  await knex.schema.raw(`CREATE TRIGGER balances_not_negative_update BEFORE UPDATE ON balances
    WHEN NEW.on_hand < 0 BEGIN SELECT RAISE(ABORT, 'on hand cannot be negative'); END`)
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, 'balances', 'movements')
}
