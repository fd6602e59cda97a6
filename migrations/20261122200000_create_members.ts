import type { Knex } from 'knex'
import { dropTables } from '../db/migration-guard.ts'

// The peer list: one row per node this node knows, itself included. A row changes only when the
// membership protocol has decided a change, and the change is committed before it is acted on.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('members', (table) => {
    table.text('id').primary()
    table.text('name').notNullable()
    table.text('address').notNullable()
    table.text('state').notNullable().checkIn(['alive', 'suspect', 'failed', 'left'])
    table.integer('incarnation').notNullable()
    table.text('state_changed_at').notNullable()
    // For suspect and failed: when the evidence was seen (the last word heard, or a refusal).
    table.text('evidence_at').nullable()
    table.check('?? >= 0', ['incarnation'], 'members_incarnation_not_negative')
  })
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, 'members')
}
