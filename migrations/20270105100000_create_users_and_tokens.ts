import type { Knex } from 'knex'
import { dropTables } from '../db/migration-guard.ts'

// Who may use this node's API: its users, each with a role, and their API tokens. A token is
// stored only as the SHA-256 of its secret (the secret is shown once, when it is made); it is
// revoked, never deleted, so the list says what was issued and when it stopped working. A user is
// disabled, never deleted: the ledger names who made each movement.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (table) => {
    table.text('name').primary()
    table.text('role').notNullable().checkIn(['viewer', 'operator', 'admin'])
    table.text('created_at').notNullable()
    table.text('disabled_at').nullable()
  })
  await knex.schema.createTable('api_tokens', (table) => {
    table.text('id').primary()
    table.text('user_name').notNullable().references('name').inTable('users')
    table.text('name').notNullable()
    table.text('hash').notNullable().unique()
    table.text('created_at').notNullable()
    table.text('expires_at').nullable()
    table.text('revoked_at').nullable()
    table.check('length(??) = 64', ['hash'], 'api_tokens_hash_sha256')
  })
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, 'api_tokens', 'users')
}
