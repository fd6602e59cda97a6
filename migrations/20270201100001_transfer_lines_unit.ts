import type { Knex } from 'knex'

// At the receiver, the unit the sender's dispatch counts each line in (the item's catalogue entry
// travels with the goods). An item's unit here cannot change away from the unit a transfer not
// yet settled counts it in (db/operations/unit-rule.ts). Null at the sender, before the dispatch
// arrives, and on lines stored before this column.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE transfer_lines ADD COLUMN unit TEXT')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE transfer_lines DROP COLUMN unit')
}
