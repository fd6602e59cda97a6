import type { Knex } from 'knex'
import { ALLOW_DATA_LOSS, DataLossRefused, dropTables } from '../db/migration-guard.ts'

// Transfers between warehouses (db/transfers, db/contract/transfers.ts).
//
// The ledger gains four kinds (db/ledger/kinds.ts): transfer_out, transfer_in, transfer_return and
// transfer_writeoff, each naming its transfer and the other warehouse (two columns, hashed). A
// write-off of goods lost in transit changes nothing here (delta 0) yet has a quantity, so
// `quantity = abs(delta)` holds for every other kind only. `movements.type` and that rule are
// CHECKs, which SQLite cannot change in place: the table is rebuilt (sqlite.org/lang_altertable.html,
// "other kinds of table schema changes") with foreign keys off, in one transaction, and its
// indexes and triggers (append-only, the head anchor) are made again on the new table. The rows
// are copied as they are: every hash still holds, and the anchor does not move.
//
// Balances gain `sent` and `received`, projections of the ledger like on hand (0 for every item
// until now, as no transfer row exists); the replicas gain the same columns.
//
// New tables: transfers and their lines, the receipts recorded against them (a receipt id once
// per transfer), and the outbox, whose rows are the messages to peers in the order they were
// made; delivered rows are kept (the transfer's story). Inbound messages are de-duplicated by the
// idempotency store (scope `peer:<node id>`); inbox_log keeps which arrived, for the story.
export const config = { transaction: false }

const KINDS = ['receipt', 'issue', 'adjustment']
const TRANSFER_KINDS = ['transfer_out', 'transfer_in', 'transfer_return', 'transfer_writeoff']
const OUT_STATES = ['in_transit', 'partially_received', 'cancel_requested', 'returning', 'closed']
const IN_STATES = [
  'announced',
  'unannounced',
  'partially_received',
  'received',
  'rejected',
  'cancelled',
]
const OUTCOMES = ['delivered', 'delivered_with_loss', 'partially_returned', 'returned', 'cancelled']
const MESSAGE_KINDS = [
  'transfer.dispatched',
  'transfer.received',
  'transfer.rejected',
  'transfer.cancel_requested',
  'transfer.cancel_accepted',
  'transfer.cancel_refused',
]

const list = (values: string[]) => values.map((v) => `'${v}'`).join(', ')

/** The ledger table as of a set of kinds: with the transfer columns and rules, or without. */
function movementsSql(table: string, transfers: boolean): string {
  const kinds = transfers ? [...KINDS, ...TRANSFER_KINDS] : KINDS
  const quantity = transfers
    ? `quantity >= 0 AND CASE type WHEN 'transfer_writeoff' THEN delta = 0
        ELSE quantity = abs(delta) END`
    : 'quantity >= 0 AND quantity = abs(delta)'
  const transferColumns = transfers
    ? `transfer_id TEXT,
    counterparty TEXT,
    CONSTRAINT movements_transfer CHECK ((type IN (${list(TRANSFER_KINDS)})) =
      (transfer_id IS NOT NULL AND counterparty IS NOT NULL)),`
    : ''
  return `CREATE TABLE ${table} (
    seq INTEGER PRIMARY KEY,
    type TEXT NOT NULL CONSTRAINT type CHECK (type IN (${list(kinds)})),
    sku TEXT NOT NULL REFERENCES items (sku),
    quantity INTEGER NOT NULL,
    delta INTEGER NOT NULL,
    counted_quantity INTEGER,
    balance_after INTEGER NOT NULL,
    reference TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    ${transferColumns}
    CONSTRAINT movements_quantity CHECK (${quantity}),
    CONSTRAINT movements_balance_after_not_negative CHECK (balance_after >= 0),
    CONSTRAINT movements_count CHECK (counted_quantity IS NULL OR counted_quantity >= 0)
  )`
}

const COMMON_COLUMNS =
  'seq, type, sku, quantity, delta, counted_quantity, balance_after, reference, note, created_at, prev_hash, hash'

/** The indexes and triggers of `movements`, made again after the rebuild. */
async function movementsExtras(trx: Knex): Promise<void> {
  await trx.raw('CREATE INDEX movements_sku_seq_delta ON movements (sku, seq, delta)')
  await trx.raw('CREATE INDEX movements_created_at ON movements (created_at)')
  await trx.raw(`CREATE TRIGGER movements_append_only_update BEFORE UPDATE ON movements
    BEGIN SELECT RAISE(ABORT, 'movements are append-only'); END`)
  await trx.raw(`CREATE TRIGGER movements_append_only_delete BEFORE DELETE ON movements
    BEGIN SELECT RAISE(ABORT, 'movements are append-only'); END`)
  await trx.raw(`CREATE TRIGGER movements_move_head AFTER INSERT ON movements
    BEGIN UPDATE ledger_head SET seq = NEW.seq, hash = NEW.hash WHERE NEW.seq > seq; END`)
}

/** Rebuilds `movements` with or without the transfer kinds, copying every row as it is. */
async function rebuildMovements(knex: Knex, transfers: boolean): Promise<void> {
  // Set outside the transaction: inside one SQLite ignores it.
  await knex.raw('PRAGMA foreign_keys = OFF')
  try {
    await knex.transaction(async (trx) => {
      const anchor = await trx('ledger_head').first('seq', 'hash')
      await trx.raw(movementsSql('movements_rebuilt', transfers))
      const columns = transfers ? `${COMMON_COLUMNS}, transfer_id, counterparty` : COMMON_COLUMNS
      const copied = transfers ? COMMON_COLUMNS + ', NULL, NULL' : COMMON_COLUMNS
      // Down, forced (ALMACEN_ALLOW_DATA_LOSS=1): the transfer rows are not copied.
      const where = transfers ? '' : `WHERE type IN (${list(KINDS)})`
      await trx.raw(
        `INSERT INTO movements_rebuilt (${columns}) SELECT ${copied} FROM movements ${where} ORDER BY seq`
      )
      // DROP TABLE deletes without firing the append-only triggers: they go with the table.
      await trx.raw('DROP TABLE movements')
      await trx.raw('ALTER TABLE movements_rebuilt RENAME TO movements')
      await movementsExtras(trx)
      const after = await trx('ledger_head').first('seq', 'hash')
      if (anchor?.seq !== after?.seq || anchor?.hash !== after?.hash) {
        throw new Error('Rebuilding movements moved the ledger head anchor')
      }
      const orphans: unknown[] = await trx.raw('PRAGMA foreign_key_check')
      if (orphans.length > 0) {
        throw new Error(`Rebuilding movements would orphan rows: ${JSON.stringify(orphans)}`)
      }
    })
  } finally {
    await knex.raw('PRAGMA foreign_keys = ON')
  }
}

export async function up(knex: Knex): Promise<void> {
  await rebuildMovements(knex, true)
  await knex.transaction(async (trx) => {
    for (const table of ['balances', 'replica_balances']) {
      await trx.raw(`ALTER TABLE ${table} ADD COLUMN sent INTEGER NOT NULL DEFAULT 0
        CONSTRAINT ${table}_sent_not_negative CHECK (sent >= 0)`)
      await trx.raw(`ALTER TABLE ${table} ADD COLUMN received INTEGER NOT NULL DEFAULT 0
        CONSTRAINT ${table}_received_not_negative CHECK (received >= 0)`)
    }
    await trx.raw('ALTER TABLE replica_movements ADD COLUMN transfer_id TEXT')
    await trx.raw('ALTER TABLE replica_movements ADD COLUMN counterparty TEXT')

    await trx.raw(`CREATE TABLE transfers (
      id TEXT PRIMARY KEY,
      direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
      peer TEXT NOT NULL,
      peer_name TEXT NOT NULL DEFAULT '',
      state TEXT NOT NULL,
      outcome TEXT CHECK (outcome IS NULL OR outcome IN (${list(OUTCOMES)})),
      reference TEXT NOT NULL DEFAULT '',
      note TEXT NOT NULL DEFAULT '',
      reason TEXT,
      -- At A, why goods are coming back: B rejected, or B accepted a cancel (the outcome follows).
      cause TEXT CHECK (cause IS NULL OR cause IN ('rejected', 'cancelled')),
      -- At B, whether A's dispatch has arrived (the lines' sent known); always 1 at A.
      announced INTEGER NOT NULL DEFAULT 1 CHECK (announced IN (0, 1)),
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      closed_at TEXT,
      CONSTRAINT transfers_state CHECK (
        (direction = 'out' AND state IN (${list(OUT_STATES)})) OR
        (direction = 'in' AND state IN (${list(IN_STATES)}))),
      CONSTRAINT transfers_outcome CHECK ((outcome IS NOT NULL) = (state = 'closed'))
    )`)
    await trx.raw('CREATE INDEX transfers_created_at ON transfers (created_at, id)')
    await trx.raw('CREATE INDEX transfers_peer ON transfers (peer)')
    await trx.raw('CREATE INDEX transfers_state ON transfers (direction, state)')

    const count = (column: string) => `${column} INTEGER NOT NULL DEFAULT 0 CHECK (${column} >= 0)`
    await trx.raw(`CREATE TABLE transfer_lines (
      transfer_id TEXT NOT NULL REFERENCES transfers (id),
      sku TEXT NOT NULL,
      ${['sent', 'received', 'damaged', 'short', 'to_write_off', 'to_return', 'returned', 'written_off'].map(count).join(',\n      ')},
      PRIMARY KEY (transfer_id, sku),
      CONSTRAINT transfer_lines_settled CHECK (returned <= to_return AND written_off <= to_write_off)
    ) WITHOUT ROWID`)
    await trx.raw('CREATE INDEX transfer_lines_sku ON transfer_lines (sku, transfer_id)')

    await trx.raw(`CREATE TABLE transfer_receipts (
      transfer_id TEXT NOT NULL REFERENCES transfers (id),
      receipt_id TEXT NOT NULL,
      -- The order receipts were applied in (B replays them in it when the dispatch arrives).
      n INTEGER NOT NULL CHECK (n >= 1),
      final INTEGER NOT NULL CHECK (final IN (0, 1)),
      lines TEXT NOT NULL CHECK (json_valid(lines)),
      created_at TEXT NOT NULL,
      PRIMARY KEY (transfer_id, receipt_id),
      UNIQUE (transfer_id, n)
    ) WITHOUT ROWID`)

    await trx.raw(`CREATE TABLE outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      to_node TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN (${list(MESSAGE_KINDS)})),
      transfer_id TEXT NOT NULL,
      payload TEXT NOT NULL CHECK (json_valid(payload)),
      created_at TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      next_attempt_at TEXT,
      last_error TEXT,
      delivered_at TEXT,
      status TEXT CHECK (status IS NULL OR status IN ('applied', 'duplicate', 'refused')),
      CONSTRAINT outbox_delivered CHECK ((delivered_at IS NULL) = (status IS NULL))
    )`)
    await trx.raw('CREATE INDEX outbox_pending ON outbox (to_node, seq) WHERE delivered_at IS NULL')
    await trx.raw('CREATE INDEX outbox_transfer ON outbox (transfer_id, seq)')

    await trx.raw(`CREATE TABLE inbox_log (
      from_node TEXT NOT NULL,
      id TEXT NOT NULL,
      kind TEXT NOT NULL,
      transfer_id TEXT NOT NULL,
      created_at TEXT NOT NULL,
      applied_at TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('applied', 'refused')),
      PRIMARY KEY (from_node, id)
    ) WITHOUT ROWID`)
    await trx.raw('CREATE INDEX inbox_log_transfer ON inbox_log (transfer_id)')
  })
}

export async function down(knex: Knex): Promise<void> {
  const [{ n }] = await knex('movements').whereIn('type', TRANSFER_KINDS).count({ n: '*' })
  if (Number(n) > 0 && process.env[ALLOW_DATA_LOSS] !== '1') {
    throw new DataLossRefused([{ table: 'movements', count: Number(n) }])
  }
  await dropTables(knex, 'inbox_log', 'outbox', 'transfer_receipts', 'transfer_lines', 'transfers')
  await knex.transaction(async (trx) => {
    for (const table of ['balances', 'replica_balances']) {
      await trx.raw(`ALTER TABLE ${table} DROP COLUMN sent`)
      await trx.raw(`ALTER TABLE ${table} DROP COLUMN received`)
    }
    await trx.raw('ALTER TABLE replica_movements DROP COLUMN transfer_id')
    await trx.raw('ALTER TABLE replica_movements DROP COLUMN counterparty')
  })
  await rebuildMovements(knex, false)
}
