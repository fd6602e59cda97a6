// What a rollback must not throw away by accident. A fresh node applies all its migrations as one
// batch, so the first `knex migrate:rollback` an admin tries would drop the whole schema, ledger
// included; the triggers that keep the ledger append-only do not cover DROP TABLE.
import type { Knex } from 'knex'
import { ALLOW_DATA_LOSS } from './settings.ts'

/** The tables that hold what a warehouse cannot get back: what each holds, which migration made it. */
export const DATA_TABLES = {
  items: { holds: 'the catalogue', madeBy: '20261122190000_create_items.ts' },
  movements: {
    holds: 'the ledger: every stock movement',
    madeBy: '20261122190100_create_ledger.ts',
  },
  balances: {
    holds: "stock on hand, the ledger's projection",
    madeBy: '20261122190100_create_ledger.ts',
  },
  idempotency_keys: {
    holds: 'the exactly-once records of requests already applied',
    madeBy: '20261122190200_create_idempotency_keys.ts',
  },
  node_settings: {
    holds: "this node's identity, which its peers know it by",
    madeBy: '20261122190300_create_node_settings.ts',
  },
  members: { holds: 'the peer list', madeBy: '20261122200000_create_members.ts' },
  ledger_acceptances: {
    holds: 'who accepted a ledger that did not check out, and why',
    madeBy: '20261123100000_create_ledger_head.ts',
  },
  events: {
    holds: 'the event log: every change, in order, that peers and clients follow',
    madeBy: '20261215100100_create_events.ts',
  },
  replicas: {
    holds: "the cursors of the peers' ledger replicas",
    madeBy: '20261230100000_create_replicas.ts',
  },
  replica_events: {
    holds: "the peers' event logs, which a peer that lost its disk is restored from",
    madeBy: '20261230100000_create_replicas.ts',
  },
  replica_movements: {
    holds: "the peers' ledgers, which a peer that lost its disk is restored from",
    madeBy: '20261230100000_create_replicas.ts',
  },
  replica_balances: {
    holds: "the peers' stock on hand, their replicas' projection",
    madeBy: '20261230100000_create_replicas.ts',
  },
  replica_items: {
    holds: "the peers' catalogues",
    madeBy: '20261230100000_create_replicas.ts',
  },
  transfers: {
    holds: 'the transfers to and from other warehouses',
    madeBy: '20261231100000_create_transfers.ts',
  },
  transfer_lines: {
    holds: "the transfers' lines",
    madeBy: '20261231100000_create_transfers.ts',
  },
  transfer_receipts: {
    holds: 'the receipts recorded against transfers',
    madeBy: '20261231100000_create_transfers.ts',
  },
  outbox: {
    holds: 'the messages to other warehouses, delivered or waiting',
    madeBy: '20261231100000_create_transfers.ts',
  },
  inbox_log: {
    holds: 'the messages other warehouses sent, as applied',
    madeBy: '20261231100000_create_transfers.ts',
  },
  users: {
    holds: "the API's users and their roles",
    madeBy: '20270105100000_create_users_and_tokens.ts',
  },
  api_tokens: {
    holds: 'the API tokens issued, as hashes',
    madeBy: '20270105100000_create_users_and_tokens.ts',
  },
  queues: {
    holds: 'the message queues and their settings',
    madeBy: '20270110100000_create_queues.ts',
  },
  queue_messages: {
    holds: 'the messages waiting in the queues, published and confirmed',
    madeBy: '20270110100000_create_queues.ts',
  },
  queue_message_ids: {
    holds: 'every message id published, which keeps a publish sent again from being taken twice',
    madeBy: '20270110100000_create_queues.ts',
  },
  messaging_grants: {
    holds: 'who may publish, consume and manage each queue and topic kept to some users',
    madeBy: '20270110100000_create_queues.ts',
  },
  topics: {
    holds: 'the topics and their retention',
    madeBy: '20270110100100_create_topics.ts',
  },
  topic_messages: {
    holds: 'the messages published to topics, kept for their retention',
    madeBy: '20270110100100_create_topics.ts',
  },
  topic_message_ids: {
    holds:
      'every message id published to a topic, which keeps a publish sent again from being taken twice',
    madeBy: '20270110100100_create_topics.ts',
  },
  federations: {
    holds: 'which topics are carried to which peer warehouses',
    madeBy: '20270110100200_create_federations.ts',
  },
  topic_subscriptions: {
    holds: "the topics' durable subscriptions and their patterns",
    madeBy: '20270110100100_create_topics.ts',
  },
} as const

export { ALLOW_DATA_LOSS }

export type DataTable = keyof typeof DATA_TABLES

type Rows = { table: DataTable; count: number }[]

/** How a refused rollback's message begins (the knexfile says it once, not twice). */
export const REFUSAL = 'Refusing to roll back:'

/** A rollback refused because it would drop rows; its message says what and how to force it. */
export class DataLossRefused extends Error {
  constructor(readonly rows: Rows) {
    const what = rows.map(
      ({ table, count }) =>
        `${table} (${count} row${count === 1 ? '' : 's'}: ${DATA_TABLES[table].holds})`
    )
    super(
      `${REFUSAL} it would drop ${what.join(', ')}. No table that holds rows was ` +
        `dropped. Back up the database first; to drop them anyway, run the rollback again ` +
        `with ${ALLOW_DATA_LOSS}=1.`
    )
    this.name = 'DataLossRefused'
    // The knex CLI prints an error's stack: these sentences are all there is to say.
    this.stack = `${this.name}: ${this.message}`
  }
}

async function refuseIfRows(knex: Knex, tables: DataTable[]): Promise<void> {
  if (process.env[ALLOW_DATA_LOSS] === '1') return
  const rows: Rows = []
  for (const table of tables) {
    if (!(await knex.schema.hasTable(table))) continue
    const count = Number((await knex(table).count({ n: '*' }).first())?.n ?? 0)
    if (count > 0) rows.push({ table, count })
  }
  if (rows.length > 0) throw new DataLossRefused(rows)
}

/** For a migration's down(): drops `tables` in the order given, none if one holds rows. */
export async function dropTables(knex: Knex, ...tables: DataTable[]): Promise<void> {
  await refuseIfRows(knex, tables)
  for (const table of tables) await knex.schema.dropTable(table)
}

/** A migration as knex lists it: { file } from a directory, a file name from CompiledMigrations. */
function nameOf(migration: unknown): string {
  return typeof migration === 'string'
    ? migration.replace(/\.js$/, '.ts')
    : (migration as { file: string }).file
}

/**
 * knex's beforeAll hook. Before a rollback runs any down(), it refuses the whole rollback if the
 * migrations it would undo made tables that hold rows: otherwise the downs of later migrations
 * would run before the first refusal, and that refusal would name only its own table.
 */
export async function refuseLossyRollback(knex: Knex, migrations: unknown[]): Promise<void> {
  const names = migrations.map(nameOf)
  // The same hook runs before migrate:latest; only migrations already applied can be undone.
  const undoing = new Set<string>(
    await knex('knex_migrations').whereIn('name', names).pluck('name')
  )
  const tables = (Object.keys(DATA_TABLES) as DataTable[]).filter((table) =>
    undoing.has(DATA_TABLES[table].madeBy)
  )
  await refuseIfRows(knex, tables)
}
