import type { Knex } from 'knex'
import { ALLOW_DATA_LOSS, DataLossRefused } from '../db/migration-guard.ts'

// One store of exactly-once records for more than HTTP requests. `scope` says whose key it is:
// `request` for an Idempotency-Key (every row so far); the message ids of each peer will have a
// scope of their own (the inbox of transfers), de-duplicated durably with no time window. The
// primary key becomes (key, scope), so a client's key can never collide with a peer's message id;
// key comes first, so a lookup by key alone (the bench's baselines) still uses the index.
//
// SQLite cannot change a primary key in place: the table is rebuilt, in the migration's
// transaction (nothing references it).
export async function up(knex: Knex): Promise<void> {
  await rebuild(knex, (table) => {
    table.text('key').notNullable()
    table.text('scope').notNullable().defaultTo('request')
    keyColumns(table)
    table.primary(['key', 'scope'])
  })
}

export async function down(knex: Knex): Promise<void> {
  const [{ n }] = await knex('idempotency_keys').whereNot({ scope: 'request' }).count({ n: '*' })
  if (Number(n) > 0 && process.env[ALLOW_DATA_LOSS] !== '1') {
    throw new DataLossRefused([{ table: 'idempotency_keys', count: Number(n) }])
  }
  await rebuild(
    knex,
    (table) => {
      table.text('key').primary()
      keyColumns(table)
    },
    "WHERE scope = 'request'"
  )
}

function keyColumns(table: Knex.CreateTableBuilder) {
  table.text('op').notNullable()
  table.text('fingerprint').notNullable()
  table.boolean('ok').notNullable()
  table.text('result').notNullable()
  table.text('created_at').notNullable()
}

async function rebuild(
  knex: Knex,
  columns: (table: Knex.CreateTableBuilder) => void,
  where = ''
): Promise<void> {
  await knex.schema.createTable('idempotency_keys_rebuilt', columns)
  const kept = 'key, op, fingerprint, ok, result, created_at'
  await knex.raw(`INSERT INTO idempotency_keys_rebuilt (${kept})
    SELECT ${kept} FROM idempotency_keys ${where}`)
  await knex.schema.dropTable('idempotency_keys')
  await knex.schema.renameTable('idempotency_keys_rebuilt', 'idempotency_keys')
}
