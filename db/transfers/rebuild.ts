// A node's transfers after its disk died. Its ledger comes back from its peers' replicas of its
// log (db/ledger/restore.ts), and so do the transfer.changed events: each holds the whole record
// as it stood (store.ts `logged`), so the latest of each transfer rebuilds it. What the log cannot
// hold — the outbox, the inbox — is made good by telling the peers again what this side did
// (states.ts `toldAgain`): each message is a fact their side takes once, whatever its id.
import type { Sql, Statement } from '../sql.ts'
import { toldAgain, type Sender, type TransferRecord } from './states.ts'
import {
  enqueueStatement,
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
 * event, replacing what the tables held. A receipt is dated by the first event that holds it (a
 * backup's own date kept). Events written before they held the whole record restore without
 * receipts, a cause, or at B an unannounced state. The ids rebuilt.
 */
export async function rebuildTransfers(sql: Sql, afterEvent: number): Promise<string[]> {
  const events = await sql.all<{ subject: string; data: string; createdAt: string }>(
    `SELECT subject, data, created_at AS createdAt FROM events
     WHERE type = 'transfer.changed' AND seq > ? ORDER BY seq`,
    [afterEvent]
  )
  const latest = new Map<string, LoggedTransfer>()
  const firstSeen = new Map<string, string>()
  for (const e of events) {
    const data = JSON.parse(e.data) as LoggedTransfer
    latest.set(e.subject, data)
    for (const r of data.receipts ?? []) {
      const key = `${e.subject} ${r.receiptId}`
      if (!firstSeen.has(key)) firstSeen.set(key, e.createdAt)
    }
  }
  const ids = [...latest.keys()]
  for (let i = 0; i < ids.length; i += PER_STATEMENT) {
    const part = ids.slice(i, i + PER_STATEMENT).map((id) => latest.get(id) as LoggedTransfer)
    await sql.script(await rebuildStatements(sql, part, firstSeen))
  }
  return ids
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
 * After a restore, or a start on a backup: every transfer this node holds told again (tellAgain),
 * in the order they were made. It cannot know what its lost outbox had yet to deliver, nor which
 * of its peers' messages it had taken since: each peer takes the messages once, and answers the
 * first of each transfer with its own side of it (the contract's `again`). A transfer closed here
 * after it was sent from here tells nothing. How many were queued.
 */
export async function tellEverythingAgain(sql: Sql): Promise<number> {
  const rows = await sql.all<{ id: string }>('SELECT id FROM transfers ORDER BY created_at, id')
  return tellAgain(
    sql,
    rows.map((r) => r.id)
  )
}

/**
 * Queues again, to each transfer's peer, the messages of this side's own steps the peer may lack
 * (states.ts `toldAgain`), for the transfers of `ids` that have any, in that order (the order of
 * their first events: the order they were made). How many were queued.
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
      toldAgain(record, sender).flatMap((e, k) =>
        'send' in e
          ? [
              {
                to: record.peer,
                kind: e.send,
                transferId: record.id,
                // The first asks the peer for its side of the transfer again (contract: again).
                payload: k === 0 ? { ...e.payload, again: true } : e.payload,
              },
            ]
          : []
      )
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
