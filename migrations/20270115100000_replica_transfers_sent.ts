import type { Knex } from 'knex'

// Goods received before their dispatch message has arrived are received against the id on the
// delivery note: the sender's ledger, as replicated here, may already show that transfer leaving
// (a transfer_out row naming it and its destination). This index finds that row by transfer id
// without reading the replica through; it holds the transfer_out rows only.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX replica_movements_transfer_out ON replica_movements (transfer_id)
     WHERE type = 'transfer_out'`
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX replica_movements_transfer_out')
}
