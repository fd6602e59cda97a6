// A node's transfers after its disk died. Its ledger comes back from its peers' replicas of its
// log (db/ledger/restore.ts), and so do the transfer.changed events: each holds the whole record
// as it stood (store.ts `logged`), so the latest of each transfer rebuilds it. What the log cannot
// hold — the outbox, the inbox — is made good by telling the peers again what this side did
// (states.ts `toldAgain`): each message is a fact their side takes once, whatever its id.
import type { Sql, Statement } from '../sql.ts'
import { EXCESS_NOTE, toldAgain, type Sender, type TransferRecord } from './states.ts'
import {
  enqueueStatement,
  fitting,
  loadMany,
  saveStatements,
  type LoggedTransfer,
  type Outgoing,
} from './store.ts'

/** Transfers per statement: the JSON of 500 records is a few hundred KiB at most. */
const PER_STATEMENT = 500

/**
 * Rebuilds the record of every transfer with a transfer.changed event after `afterEvent` (0: a
 * node restored whole; a backup's last event: one caught up from its backup) from its latest
 * event, replacing what the tables held; read 500 at a time. A receipt is dated by the first event
 * that holds it (a backup's own date kept). The ids rebuilt, and those whose latest event was
 * written before events held the whole record (no receipts, cause or announced): rebuilt as the
 * view shows them, never to be told again (`outOfStep`).
 */
export async function rebuildTransfers(
  sql: Sql,
  afterEvent: number
): Promise<{ rebuilt: string[]; incomplete: string[] }> {
  const latest = await sql.all<{ seq: number }>(
    `SELECT max(seq) AS seq FROM events WHERE type = 'transfer.changed' AND seq > ?
     GROUP BY subject ORDER BY min(seq)`,
    [afterEvent]
  )
  if (latest.length === 0) return { rebuilt: [], incomplete: [] }
  const seen = await sql.all<{ key: string; at: string }>(
    `SELECT e.subject || ' ' || (r.value->>'receiptId') AS key, min(e.created_at) AS at
     FROM events e, json_each(e.data, '$.receipts') r
     WHERE e.type = 'transfer.changed' AND e.seq > ? GROUP BY 1`,
    [afterEvent]
  )
  const firstSeen = new Map(seen.map((r) => [r.key, r.at]))
  const rebuilt: string[] = []
  const incomplete: string[] = []
  for (let i = 0; i < latest.length; i += PER_STATEMENT) {
    const seqs = latest.slice(i, i + PER_STATEMENT).map((r) => r.seq)
    const rows = await sql.all<{ data: string }>(
      'SELECT data FROM events WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq',
      [JSON.stringify(seqs)]
    )
    const part = rows.map((r) => JSON.parse(r.data) as LoggedTransfer)
    for (const t of part) {
      rebuilt.push(t.id)
      if (!Array.isArray(t.receipts) || t.announced === undefined) incomplete.push(t.id)
    }
    await sql.script(await rebuildStatements(sql, part, firstSeen))
  }
  return { rebuilt, incomplete }
}

/** A transfer a restore rebuilt but cannot vouch for, and does not tell again. */
export interface OutOfStep {
  id: string
  peer: string | null
  why: string
}

/**
 * The transfers whose record and ledger rows disagree once rebuilt: a replica's page can end
 * between a step's ledger rows (each a movement.recorded event) and its transfer.changed event,
 * which comes last in the commit, so the record can lag the ledger by that step (a write-off
 * posted, the receipt that made it not recorded), or be missing while its goods left. Telling
 * such a transfer again would have its peer tell its side again, and the step be taken, and
 * posted, twice: they are listed for a person instead. Also those rebuilt from events that did
 * not hold the whole record (`incomplete`). Per line, at the sender: sent, returned and written
 * off as the transfer_out, transfer_return and transfer_writeoff rows sum them; at the receiver,
 * received as the transfer_in rows do (a line the record no longer has counts as zeros), and no
 * excess received before the record had its dispatch (which posts it). The 3,000 random
 * histories of tests/db/transfers/states.test.ts check the lines against the rows at every step.
 */
export async function outOfStep(sql: Sql, incomplete: readonly string[]): Promise<OutOfStep[]> {
  type Sums = { sent: number; returned: number; writtenOff: number; received: number }
  const rows = await sql.all<
    Sums & { id: string; sku: string; peer: string | null; first: number; last: number }
  >(
    `SELECT transfer_id AS id, sku, max(counterparty) AS peer,
       sum(CASE WHEN type = 'transfer_out' THEN quantity ELSE 0 END) AS sent,
       sum(CASE WHEN type = 'transfer_return' THEN quantity ELSE 0 END) AS returned,
       sum(CASE WHEN type = 'transfer_writeoff' THEN quantity ELSE 0 END) AS writtenOff,
       sum(CASE WHEN type = 'transfer_in' THEN delta ELSE 0 END) AS received,
       min(seq) AS first, max(seq) AS last
     FROM movements WHERE transfer_id IS NOT NULL GROUP BY transfer_id, sku`
  )
  const lines = await sql.all<Sums & { id: string; sku: string }>(
    `SELECT transfer_id AS id, sku, sent, returned, written_off AS writtenOff, received
     FROM transfer_lines`
  )
  const records = await sql.all<{
    id: string
    direction: 'out' | 'in'
    peer: string
    announced: number
  }>('SELECT id, direction, peer, announced FROM transfers')
  // The receipt of an excess a dispatch turns B's early receipts into (states.ts `dispatched`):
  // posted first, with the transfer_in below zero after it, once the dispatch has come.
  const excess = await sql.all<{ id: string; seq: number }>(
    `SELECT reference AS id, min(seq) AS seq FROM movements
     WHERE type = 'receipt' AND note = ? || reference GROUP BY reference`,
    [EXCESS_NOTE]
  )
  const found = new Map<string, OutOfStep>()
  const record = new Map(records.map((r) => [r.id, r]))
  const flag = (id: string, peer: string | null, why: string) => {
    if (!found.has(id)) found.set(id, { id, peer: record.get(id)?.peer ?? peer, why })
  }
  const zero: Sums = { sent: 0, returned: 0, writtenOff: 0, received: 0 }
  const byLine = new Map(lines.map((l) => [`${l.id} ${l.sku}`, l]))
  const byRows = new Map(rows.map((r) => [`${r.id} ${r.sku}`, r]))
  const keys = new Set([...byLine.keys(), ...byRows.keys()])
  for (const key of keys) {
    const [id, sku] = key.split(' ')
    const kept = record.get(id)
    const r = byRows.get(key) ?? zero
    // A line a record no longer has (its receipts undone, the record started afresh) is zeros.
    const line = byLine.get(key) ?? zero
    const out = (kept?.direction ?? (r.sent > 0 ? 'out' : 'in')) === 'out'
    const differ = out
      ? line.sent !== r.sent || line.returned !== r.returned || line.writtenOff !== r.writtenOff
      : line.received !== r.received
    if (!differ) continue
    if (!kept) {
      const named = byRows.get(key)
      flag(
        id,
        named?.peer ?? null,
        `ledger rows #${named?.first}…#${named?.last} (${sku}) name it, but its record was not in the replica restored from`
      )
      continue
    }
    const what = out
      ? `sent ${r.sent}, returned ${r.returned}, written off ${r.writtenOff} by the ledger; ${line.sent}, ${line.returned}, ${line.writtenOff} by its record`
      : `received ${r.received} by the ledger, ${line.received} by its record`
    flag(
      id,
      null,
      `its record lags its ledger rows (${sku}: ${what}): the replica restored from ended inside the commit that changed it`
    )
  }
  for (const { id, seq } of excess) {
    const kept = record.get(id)
    if (kept && kept.direction === 'in' && kept.announced === 0) {
      flag(
        id,
        null,
        `ledger row #${seq} receives an excess of it, which comes with its dispatch, but its record has not had the dispatch: the replica restored from ended inside the commit that took it`
      )
    }
  }
  for (const id of incomplete) {
    flag(
      id,
      null,
      'its last change was logged before changes held the whole record (its receipts): rebuilt as it was shown'
    )
  }
  return [...found.values()]
}

async function rebuildStatements(
  sql: Sql,
  transfers: LoggedTransfer[],
  firstSeen: Map<string, string>
): Promise<Statement[]> {
  const ids = JSON.stringify(transfers.map((t) => t.id))
  // A backup caught up holds some of these receipts already, dated when they were recorded.
  const held = await sql.all<{ key: string; createdAt: string }>(
    `SELECT transfer_id || ' ' || receipt_id AS key, created_at AS createdAt
     FROM transfer_receipts WHERE transfer_id IN (SELECT value FROM json_each(?))`,
    [ids]
  )
  const dated = new Map(held.map((r) => [r.key, r.createdAt]))
  const records = transfers.map((t): TransferRecord => {
    const { createdAt: _c, updatedAt: _u, closedAt: _x, lines, receipts, ...rest } = t
    return {
      ...rest,
      cause: t.cause ?? null,
      announced: t.announced ?? t.state !== 'unannounced',
      lines: lines.map(({ inTransit: _, ...line }) => line),
      receipts: receipts ?? [],
    }
  })
  // Stored as a step stores them, whole (lines and receipts replaced), then dated as they were.
  const times = transfers.map(({ id, createdAt, updatedAt, closedAt }) => ({
    id,
    createdAt,
    updatedAt,
    closedAt,
  }))
  const receiptTimes = records.flatMap((r) =>
    r.receipts.map(({ receiptId }) => {
      const key = `${r.id} ${receiptId}`
      return { transferId: r.id, receiptId, at: dated.get(key) ?? firstSeen.get(key) }
    })
  )
  const now = new Date().toISOString()
  return [
    ...saveStatements(
      records.map((record) => ({ record, known: new Set<string>(), replaced: true })),
      now
    ),
    [
      `UPDATE transfers SET created_at = j.value->>'createdAt', updated_at = j.value->>'updatedAt',
         closed_at = j.value->>'closedAt' FROM json_each(?) AS j WHERE transfers.id = j.value->>'id'`,
      [JSON.stringify(times)],
    ],
    [
      `UPDATE transfer_receipts SET created_at = coalesce(j.value->>'at', t.updated_at)
       FROM json_each(?) AS j, transfers t
       WHERE transfer_receipts.transfer_id = j.value->>'transferId'
         AND transfer_receipts.receipt_id = j.value->>'receiptId' AND t.id = j.value->>'transferId'`,
      [JSON.stringify(receiptTimes)],
    ],
  ]
}

/**
 * After a restore, or a start on a backup: every transfer this node holds told again (tellAgain)
 * but those in `skip` (outOfStep), the open ones first, each in the order they were made. It
 * cannot know what its lost outbox had yet to deliver, nor which of its peers' messages it had
 * taken since: each peer takes the messages once, and answers the first of each transfer with its
 * own side of it (the contract's `again`). A transfer closed here after it was sent from here tells
 * nothing; one received here tells its receipts (its sender may not have had the last). How many
 * were queued.
 */
export async function tellEverythingAgain(
  sql: Sql,
  skip: ReadonlySet<string> = new Set()
): Promise<number> {
  const rows = await sql.all<{ id: string }>(
    `SELECT id FROM transfers
     ORDER BY state IN ('closed', 'received', 'rejected', 'cancelled'), created_at, id`
  )
  return tellAgain(
    sql,
    rows.flatMap((r) => (skip.has(r.id) ? [] : [r.id]))
  )
}

/**
 * Queues again, to each transfer's peer, the messages of this side's own steps the peer may lack
 * (states.ts `toldAgain`), for the transfers of `ids` that have any, in that order. How many were
 * queued.
 */
export async function tellAgain(sql: Sql, ids: string[]): Promise<number> {
  let queued = 0
  const now = new Date().toISOString()
  for (let i = 0; i < ids.length; i += PER_STATEMENT) {
    const part = ids.slice(i, i + PER_STATEMENT)
    const loaded = await loadMany(sql, part)
    const records = part.flatMap((id) => loaded.get(id)?.record ?? [])
    const sender = await senderOf(sql, records)
    const messages: Outgoing[] = records.flatMap((record) =>
      fitting(toldAgain(record, sender)).map((e, k) => ({
        to: record.peer,
        kind: e.send,
        transferId: record.id,
        // The first asks the peer for its side of the transfer again (contract: again).
        payload: k === 0 ? { ...e.payload, again: true } : e.payload,
      }))
    )
    const queue = enqueueStatement(messages, now)
    if (queue) await sql.script([queue])
    queued += messages.length
  }
  return queued
}

/** This node as the dispatches of `records` describe it: its name, and their items. */
export async function senderOf(sql: Sql, records: TransferRecord[]): Promise<Sender> {
  const [node] = await sql.all<{ name: string | null }>(
    "SELECT (SELECT value FROM node_settings WHERE key = 'name') AS name"
  )
  return { fromName: node.name ?? '', items: await itemsOf(sql, records) }
}

/** The items the dispatches of `records` describe, as a dispatch carries them. */
async function itemsOf(sql: Sql, records: TransferRecord[]): Promise<Sender['items']> {
  const skus = records
    .filter((r) => r.direction === 'out')
    .flatMap((r) => r.lines.map((l) => l.sku))
  if (skus.length === 0) return {}
  const rows = await sql.all<{ sku: string; name: string; unit: string; description: string }>(
    `SELECT sku, name, unit, description FROM items WHERE sku IN (SELECT value FROM json_each(?))`,
    [JSON.stringify([...new Set(skus)])]
  )
  return Object.fromEntries(rows.map(({ sku, ...item }) => [sku, item]))
}
