import type { Knex } from 'knex'
import { ALLOW_DATA_LOSS } from '../db/migration-guard.ts'

// Who made each ledger row: the user whose API token the request carried, `peer:<node id>` for a
// row a peer's message made, `system` for one the node made itself. Rows from before have none
// (NULL), and are hashed as they were; a row with an actor has it hashed last (db/ledger/hash.ts),
// so it cannot be changed or removed without breaking the chain. Replicas keep it too.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.raw('ALTER TABLE movements ADD COLUMN actor TEXT')
  await knex.schema.raw('ALTER TABLE replica_movements ADD COLUMN actor TEXT')
}

export async function down(knex: Knex): Promise<void> {
  // Dropping the column would break the hash of every row that has one: refused unless none has.
  const [{ n }] = await knex('movements').whereNotNull('actor').count({ n: '*' })
  if (Number(n) > 0 && process.env[ALLOW_DATA_LOSS] !== '1') {
    throw new Error(
      `Refusing to roll back: ${n} ledger rows record who made them, and their hashes cover it ` +
        `(without it they would no longer verify). Back up the database first; to drop it anyway, ` +
        `run the rollback again with ${ALLOW_DATA_LOSS}=1.`
    )
  }
  await knex.schema.raw('ALTER TABLE replica_movements DROP COLUMN actor')
  await knex.schema.raw('ALTER TABLE movements DROP COLUMN actor')
}
