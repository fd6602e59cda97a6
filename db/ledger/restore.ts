// Restoring a node whose disk died from a peer's replica of its log. The log is appended verbatim
// (same event seqs, same ledger rows and hashes), page by page, each checked as a replica's page
// is (db/replicas/apply.ts: numbered on, every row linked and re-hashed). Tables are append-only,
// so a restore cut short cannot be rolled back: it is marked pending instead (node_settings
// restore_pending), resumed from where the own log stands, and the node refuses writes until it
// finishes. The finish sets the balances from the rows, verifies everything, and only then takes
// the restored node's id.
import type { Knex } from 'knex'
import type { Logger } from 'pino'
import type * as C from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import { decide, insertRows, same } from '../replicas/apply.ts'
import { ownHead } from '../events/log.ts'
import { withSql, type Sql } from '../sql.ts'
import { setSetting, setting } from '../node-settings.ts'
import { outOfStep, rebuildTransfers, tellEverythingAgain } from '../transfers/rebuild.ts'
import { conclude } from './jobs.ts'
import { sumsSql } from './projections.ts'
import { OWN_LEDGER } from './rows.ts'
import { MOVEMENT_ROW } from './row.ts'
import {
  afterCommit,
  BACKUP_STAMP,
  ledgerState,
  RESTORE_REPORT,
  unfinishedRestore,
  WITNESS_HALT,
} from './state.ts'
import { LedgerVerifier } from './verifier.ts'

const PENDING = 'restore_pending'
/** A restore was asked here (--restore), its node not known yet: it goes on at the next start. */
const ASKED = 'restore_asked'
/** The last event a pending restore appended: any after it were not restored. */
const RESTORED_EVENTS = 'restore_events'

/** The backup this database was put back from, if it was (its stamp, db/backups/ops.ts). */
async function backupStamp(sql: Sql): Promise<C.Backup | null> {
  const stamp = await setting(sql, BACKUP_STAMP)
  return stamp ? (JSON.parse(stamp) as C.Backup) : null
}

/** The restore of which node was begun here and not finished, if any. */
export function pendingRestore(sql: Sql): Promise<string | null> {
  return setting(sql, PENDING)
}

/** ledger.pendingRestore: the restore begun (or asked) here and not finished, if any. */
export function pendingRestoreOf(db: Knex): Promise<{ nodeId: string | null; asked: boolean }> {
  return withSql(db, async (sql) => ({
    nodeId: await pendingRestore(sql),
    asked: (await setting(sql, ASKED)) !== null,
  }))
}

/**
 * A restore asked (--restore) of a database opened for the first time, with no node identity yet:
 * recorded as soon as its tables are made, before its identity, so that a start killed from then
 * on is a restore to finish at the next start, never a new warehouse under the lost one's name.
 * A database that has an identity is the runtime's to ask for (ledger.restoreAsked).
 */
export async function askRestoreOnFirstOpen(db: Knex): Promise<void> {
  await withSql(db, async (sql) => {
    if ((await setting(sql, 'id')) === null) await setSetting(sql, ASKED, new Date().toISOString())
  })
}

/**
 * A restore asked of a directory that holds a warehouse's own ledger (no restore under way, no
 * backup put back) is void: an earlier version recorded the ask before its restore was refused,
 * and every start after it asked for a restore that none could make, so the warehouse did not
 * start again. Dropped when the worker opens the database, and said.
 */
export async function dropVoidRestoreAsk(db: Knex, log: Logger): Promise<void> {
  await withSql(db, async (sql) => {
    if ((await setting(sql, ASKED)) === null) return
    const held = await unrestorable(sql)
    if (!held) return
    await sql.run('DELETE FROM node_settings WHERE key = ?', [ASKED])
    log.warn(
      held,
      `a restore asked of this data directory by an earlier start is dropped: it holds its own ledger (${counted(held)}), which a restore would never replace`
    )
  })
}

/** "20 movements, 1 item". */
const counted = ({ movements, items }: { movements: number; items: number }) =>
  `${movements} movement${movements === 1 ? '' : 's'}, ${items} item${items === 1 ? '' : 's'}`

/**
 * What a node holds that no restore may fill: movements or items, with no restore under way and
 * not a backup of this very node put back (whose tail a restore catches up); null otherwise.
 */
async function unrestorable(sql: Sql): Promise<{ movements: number; items: number } | null> {
  if ((await pendingRestore(sql)) !== null) return null
  const [held] = await sql.all<{ movements: number; items: number }>(
    'SELECT (SELECT count(*) FROM movements) AS movements, (SELECT count(*) FROM items) AS items'
  )
  if (held.movements + held.items === 0) return null
  const backup = await backupStamp(sql)
  return backup && backup.nodeId === (await setting(sql, 'id')) ? null : held
}

/**
 * ledger.restoreAsked: a restore is asked of this node, before its peers are asked whose. Refused
 * (CONFLICT, nothing recorded) on a node that holds a ledger of its own, neither put back from a
 * backup nor a restore under way: recorded, the directory would ask for a restore at every start
 * that a restore refuses, and the warehouse would not start again.
 */
export function restoreAsked(db: Knex): Promise<{ asked: true }> {
  return withSql(db, async (sql) => {
    const held = await unrestorable(sql)
    if (held) {
      throw new DomainError(
        'CONFLICT',
        `This data directory holds a warehouse's own ledger (${counted(held)}): a restore only fills an empty one. Start the node without --restore to run this warehouse; to restore a lost one, start on an empty data directory`,
        held
      )
    }
    await setSetting(sql, ASKED, new Date().toISOString())
    return { asked: true as const }
  })
}

async function requirePending(sql: Sql, nodeId: string): Promise<void> {
  const pending = await pendingRestore(sql)
  if (pending !== nodeId) {
    throw new DomainError(
      'CONFLICT',
      pending
        ? `This node is being restored as ${pending}, not ${nodeId}`
        : 'No restore was begun on this node'
    )
  }
}

export async function restoreBegin(db: Knex, { nodeId }: { nodeId: string }) {
  let another = false
  const head = await withSql(db, async (sql) => {
    const pending = await pendingRestore(sql)
    if (pending && pending !== nodeId) {
      throw new DomainError(
        'CONFLICT',
        `A restore of node ${pending} was begun on this node and not finished: restore ${pending} (--restore-id ${pending}), not ${nodeId}`
      )
    }
    if (!pending) {
      await setSetting(sql, RESTORED_EVENTS, String(await restoredSoFar(sql, nodeId)))
      await setSetting(sql, PENDING, nodeId)
    }
    // The restored log must be the node's own, seq for seq: events appended here that were not
    // restored (a running node's membership changes, under the identity it gives up) go.
    await dropEventsAfter(sql, Number(await setting(sql, RESTORED_EVENTS)))
    another = (await setting(sql, 'id')) !== nodeId
    return ownHead(sql)
  })
  // Another node's (not a backup of this one catching up its own log): until it finishes, whether
  // this restore fails or the node stops, the log here is a part of that node's, nothing to write
  // on (a running node goes on serving when a restore fails), and not this node's own log to
  // serve to its peers.
  if (!another) return head
  const state = ledgerState(db)
  afterCommit(db, () => {
    state.restoring = nodeId
    state.halt ??= {
      since: new Date().toISOString(),
      problems: [unfinishedRestore(nodeId)],
      action: 'Nothing is written here until then.',
    }
  })
  return head
}

/**
 * Where the own log of a restore begins: nothing, on an empty node; or, on a database put back
 * from a backup of this very node, the log as the backup holds it (its tail is in the peers'
 * replicas). Anything else is refused: a restore never mixes two histories.
 */
async function restoredSoFar(sql: Sql, nodeId: string): Promise<number> {
  const [held] = await sql.all<{ movements: number; items: number; seq: number | null }>(
    `SELECT (SELECT count(*) FROM movements) AS movements, (SELECT count(*) FROM items) AS items,
       (SELECT max(seq) FROM movements) AS seq`
  )
  if (held.movements + held.items === 0) return 0
  const backup = await backupStamp(sql)
  if (!backup || backup.nodeId !== nodeId || (await setting(sql, 'id')) !== nodeId) {
    throw new DomainError(
      'CONFLICT',
      `This node holds ${held.movements} movements and ${held.items} items: a restore only fills an empty node (start it on an empty data directory), or catches up a backup of the node itself`,
      { movements: held.movements, items: held.items }
    )
  }
  if ((held.seq ?? 0) > backup.head.seq) {
    throw new DomainError(
      'CONFLICT',
      `Movements ${backup.head.seq + 1}…${held.seq} were written on this database after it was put back from backup ${backup.name}: they are not the node's own history, and a catch-up would fork it. Put the backup back again and start the node with its peers up`
    )
  }
  return backup.events
}

/** Removes the events after `seq`, past the log's append-only trigger, which is then put back. */
async function dropEventsAfter(sql: Sql, seq: number): Promise<void> {
  const [extra] = await sql.all<{ n: number }>('SELECT count(*) AS n FROM events WHERE seq > ?', [
    seq,
  ])
  if (extra.n === 0) return
  const [trigger] = await sql.all<{ sql: string }>(
    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'events_append_only_delete'"
  )
  await sql.run('DROP TRIGGER events_append_only_delete')
  await sql.run('DELETE FROM events WHERE seq > ?', [seq])
  await sql.run(trigger.sql)
}

const UPSERT_ITEMS = `INSERT INTO items (sku, name, unit, description, reorder_point, created_at,
    updated_at)
  SELECT value->>'sku', value->>'name', value->>'unit', value->>'description',
    value->>'reorderPoint', value->>'createdAt', value->>'updatedAt' FROM json_each(?) WHERE true
  ON CONFLICT (sku) DO UPDATE SET name = excluded.name, unit = excluded.unit,
    description = excluded.description, reorder_point = excluded.reorder_point,
    updated_at = excluded.updated_at`

// A movement of an item its log never described (made before the event log began): the ledger's
// row needs an item to refer to; its definition is lost, and says so. One per SKU, dated by its
// first movement. The page's SKUs are found here: SELECT DISTINCT over the page's rows took 42 ms
// of a 5,000-row page's 270 in the worker, the SKUs found here 4.
const PLACEHOLDER_ITEMS = `INSERT INTO items (sku, name, unit, description, created_at, updated_at)
  SELECT value->>0, value->>0, 'unit', 'restored: the log never described this item',
    value->>1, value->>1
  FROM json_each(?) WHERE true ON CONFLICT (sku) DO NOTHING`

/** [sku, createdAt of its first movement] for each SKU the movements name. */
function firstMovementOfEach(movements: readonly C.Movement[]): [string, string][] {
  const first = new Map<string, string>()
  for (const m of movements) if (!first.has(m.sku)) first.set(m.sku, m.createdAt)
  return [...first]
}

const MOVEMENT_COLUMNS = MOVEMENT_ROW.columns.map(([, column]) => column)

const EVENT_COLUMNS = ['seq', 'type', 'subject', 'data', 'created_at']

export function restorePage(db: Knex, page: C.Payload<'ledger.restorePage'>) {
  return withSql(db, async (sql) => {
    await requirePending(sql, page.nodeId)
    const head = await ownHead(sql)
    if (!same(head, page.after)) {
      throw new DomainError(
        'CONFLICT',
        `The page follows event ${page.after.events}, but the restored log stands at event ${head.events}`,
        { head }
      )
    }
    const events = page.events.map((e) => ({ ...e, data: e.data ?? null }))
    const decided = decide(head, events)
    if ('reason' in decided) {
      throw new DomainError(
        'LEDGER_BROKEN',
        `The replica's log does not check out (${decided.reason}): ${decided.message}`
      )
    }
    const items = [...decided.items.values()] as C.Item[]
    if (items.length > 0) await sql.run(UPSERT_ITEMS, [JSON.stringify(items)])
    if (decided.movements.length > 0) {
      await sql.run(PLACEHOLDER_ITEMS, [JSON.stringify(firstMovementOfEach(decided.movements))])
    }
    const rows = events.map((e) => [e.seq, e.type, e.subject, JSON.stringify(e.data), e.createdAt])
    await insertRows(sql, 'events', EVENT_COLUMNS, rows)
    // Multi-row VALUES, as a replica's page is written: 82 ms for a page of 5,000 rows, where
    // MOVEMENT_ROW.insert's one JSON text took 101.
    const values = decided.movements.map((m) => MOVEMENT_ROW.values(m))
    await insertRows(sql, 'movements', MOVEMENT_COLUMNS, values)
    await setSetting(sql, RESTORED_EVENTS, String(decided.cursor.events))
    return decided.cursor
  })
}

// Every item's balance from its rows: the sum and the last movement (0 and none without any),
// dated as the node dated it: by its last movement, or by the item's creation.
const SET_BALANCES = `INSERT INTO balances (sku, on_hand, sent, received, last_seq, updated_at)
  SELECT i.sku, coalesce(s.onHand, 0), coalesce(s.sent, 0), coalesce(s.received, 0), s.lastSeq,
    coalesce(m.created_at, i.created_at) FROM items i
  LEFT JOIN (${sumsSql(OWN_LEDGER, ', sum(delta) AS onHand, max(seq) AS lastSeq')}) s
    ON s.sku = i.sku
  LEFT JOIN movements m ON m.seq = s.lastSeq WHERE true
  ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand, sent = excluded.sent,
    received = excluded.received, last_seq = excluded.last_seq, updated_at = excluded.updated_at`

/** What to do about a ledger restored from replicas that broke forked (report.confirm). */
const CONFIRM =
  "Check which history is the warehouse's (GET /ledger/restore, the peers' admins, the paper trail); if it is the one restored, an admin accepts it with POST /ledger/accept and a reason."

export async function restoreFinish(db: Knex, p: C.Payload<'ledger.restoreFinish'>) {
  const report = await withSql(db, async (sql) => {
    await requirePending(sql, p.nodeId)
    const now = new Date().toISOString()
    await sql.run(SET_BALANCES)
    const check = await conclude(db, sql, new LedgerVerifier(), 0)
    if (!check.ok) {
      const shown = check.differences.slice(0, 5).map((d) => d.message)
      throw new DomainError(
        'LEDGER_BROKEN',
        `The restored ledger does not check out, so the node does not take it: ${shown.join('; ')}`,
        check.differences.slice(0, 20)
      )
    }
    const { events } = await ownHead(sql)
    // The transfers changed since what the node held (nothing, or its backup) are rebuilt from
    // their events, and what this side did told to their peers again (its outbox was lost), but
    // for those whose record disagrees with the ledger: listed for a person.
    const held = (await backupStamp(sql))?.events ?? 0
    const { rebuilt, incomplete } = await rebuildTransfers(sql, held)
    const unsure = await outOfStep(sql, incomplete)
    const toldAgain = await tellEverythingAgain(sql, new Set(unsure.map((u) => u.id)))
    const report = {
      ...p.report,
      nodeId: p.nodeId,
      restoredTo: { ...check.head, events },
      verified: check.checked,
      transfers: { rebuilt: rebuilt.length, toldAgain, outOfStep: unsure },
      restoredAt: now,
    } as C.RestoreReport
    await setSetting(sql, 'id', p.nodeId)
    await setSetting(sql, RESTORE_REPORT, JSON.stringify(report))
    // A backup caught up is the node's whole log again: its witnesses agree with it now.
    await sql.run('DELETE FROM node_settings WHERE key IN (?, ?, ?, ?, ?)', [
      PENDING,
      ASKED,
      RESTORED_EVENTS,
      BACKUP_STAMP,
      WITNESS_HALT,
    ])
    // Restored from broken replicas: halted, kept on disk as a witness's halt is, until accepted.
    if (report.confirm) {
      await sql.run('INSERT INTO node_settings (key, value) VALUES (?, ?)', [
        WITNESS_HALT,
        JSON.stringify({ problems: [report.confirm] }),
      ])
    }
    return report
  })
  const state = ledgerState(db)
  const halt = report.confirm
    ? { since: report.restoredAt, problems: [report.confirm], action: CONFIRM, witnessed: true }
    : null
  afterCommit(db, () => {
    state.halt = halt
    state.restoring = null
  })
  return report
}

export function restoreReport(db: Knex): Promise<C.RestoreReport> {
  return withSql(db, async (sql) => {
    const text = await setting(sql, RESTORE_REPORT)
    if (!text) throw new DomainError('NOT_FOUND', 'This node was never restored')
    return JSON.parse(text) as C.RestoreReport
  })
}
