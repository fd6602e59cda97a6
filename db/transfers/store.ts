// A transfer's record as SQLite keeps it (transfers, transfer_lines, transfer_receipts), the
// outbox and the inbox log, and the views the API returns (Transfer, TransferDetail). Hand-written
// SQL on the batch's connection (db/sql.ts), like the ledger's.
import { randomUUID } from 'node:crypto'
import {
  MAX_MESSAGE_BYTES,
  type Transfer,
  type TransferDetail,
  type TransferLine,
  type TransferMessage,
  type TransferMessageKind,
} from '../contract/transfers.ts'
import { RESTORE_REPORT } from '../ledger/state.ts'
import type { Sql, Statement } from '../sql.ts'
import { inTransit, type Effect, type LineRecord, type TransferRecord } from './states.ts'

interface TransferRow {
  id: string
  direction: 'out' | 'in'
  peer: string
  peerName: string
  state: TransferRecord['state']
  outcome: TransferRecord['outcome']
  reference: string
  note: string
  reason: string | null
  cause: TransferRecord['cause']
  announced: number
  createdAt: string
  updatedAt: string
  closedAt: string | null
}

const TRANSFER_COLUMNS = `id, direction, peer, peer_name AS peerName, state, outcome, reference,
  note, reason, cause, announced, created_at AS createdAt, updated_at AS updatedAt,
  closed_at AS closedAt`

/** A record as loaded, with the times its row holds. */
export interface Loaded {
  record: TransferRecord
  createdAt: string
  updatedAt: string
  closedAt: string | null
}

function recordOf(row: TransferRow, lines: LineRecord[], receipts: TransferRecord['receipts']) {
  const { createdAt, updatedAt, closedAt, announced, ...rest } = row
  return {
    record: { ...rest, announced: announced === 1, lines, receipts },
    createdAt,
    updatedAt,
    closedAt,
  }
}

// A record's lines and receipts, each a JSON array, beside its row: one statement for a batch.
const LINES_JSON = `(SELECT json_group_array(json_object('sku', l.sku, 'sent', l.sent,
    'received', l.received, 'damaged', l.damaged, 'short', l.short, 'toWriteOff', l.to_write_off,
    'toReturn', l.to_return, 'returned', l.returned, 'writtenOff', l.written_off) ORDER BY l.sku)
  FROM transfer_lines l WHERE l.transfer_id = t.id) AS lines`
const RECEIPTS_JSON = `(SELECT json_group_array(json_object('receiptId', r.receipt_id,
    'final', json(CASE WHEN r.final = 1 THEN 'true' ELSE 'false' END), 'lines', json(r.lines))
    ORDER BY r.n)
  FROM transfer_receipts r WHERE r.transfer_id = t.id) AS receipts`

/** The records of the ids given that exist, by id: their rows, lines and receipts at once. */
export async function loadMany(sql: Sql, ids: string[]): Promise<Map<string, Loaded>> {
  const rows = await sql.all<TransferRow & { lines: string; receipts: string }>(
    `SELECT ${TRANSFER_COLUMNS}, ${LINES_JSON}, ${RECEIPTS_JSON}
     FROM transfers t WHERE t.id IN (SELECT value FROM json_each(?))`,
    [JSON.stringify(ids)]
  )
  const out = new Map<string, Loaded>()
  for (const { lines, receipts, ...row } of rows) {
    out.set(row.id, recordOf(row, JSON.parse(lines), JSON.parse(receipts)))
  }
  return out
}

export async function load(sql: Sql, id: string): Promise<Loaded | null> {
  return (await loadMany(sql, [id])).get(id) ?? null
}

/**
 * The writes that store records as their steps left them — each row, its lines, and the receipts
 * it did not have (`known`: the receipt ids already stored) — for a script (db/sql.ts). Receipts
 * keep their order by a number that only grows.
 */
export function saveStatements(
  records: readonly {
    record: TransferRecord
    known: ReadonlySet<string>
    /** The stored record is replaced whole: its lines and receipts go first. */
    replaced?: boolean
  }[],
  now: string
): Statement[] {
  if (records.length === 0) return []
  const rows = records.map(({ record }) => ({
    ...record,
    lines: undefined,
    receipts: undefined,
    announced: record.announced ? 1 : 0,
    closedAt: record.state === 'closed' ? now : null,
  }))
  // A line a step dropped (B's lines rebuilt from the dispatch keep every SKU) never happens:
  // lines are upserted.
  const lines = records.flatMap(({ record }) =>
    record.lines.map((line) => ({ ...line, transferId: record.id }))
  )
  const replaced = JSON.stringify(records.filter((r) => r.replaced).map((r) => r.record.id))
  return [
    ...(replaced === '[]'
      ? []
      : ['transfer_receipts', 'transfer_lines'].map((table): Statement => [
          `DELETE FROM ${table} WHERE transfer_id IN (SELECT value FROM json_each(?))`,
          [replaced],
        ])),
    [
      `INSERT INTO transfers (id, direction, peer, peer_name, state, outcome, reference, note,
         reason, cause, announced, created_at, updated_at, closed_at)
       SELECT value->>'id', value->>'direction', value->>'peer', value->>'peerName',
         value->>'state', value->>'outcome', value->>'reference', value->>'note',
         value->>'reason', value->>'cause', value->>'announced', ?1, ?1, value->>'closedAt'
       FROM json_each(?2) WHERE true
       ON CONFLICT (id) DO UPDATE SET peer = excluded.peer, peer_name = excluded.peer_name,
         state = excluded.state,
         outcome = excluded.outcome, reference = excluded.reference, note = excluded.note,
         reason = excluded.reason, cause = excluded.cause, announced = excluded.announced,
         updated_at = excluded.updated_at,
         closed_at = coalesce(transfers.closed_at, excluded.closed_at)`,
      [now, JSON.stringify(rows)],
    ],
    [
      `INSERT INTO transfer_lines (transfer_id, sku, sent, received, damaged, short, to_write_off,
         to_return, returned, written_off)
       SELECT value->>'transferId', value->>'sku', value->>'sent', value->>'received',
         value->>'damaged', value->>'short', value->>'toWriteOff', value->>'toReturn',
         value->>'returned', value->>'writtenOff' FROM json_each(?) WHERE true
       ON CONFLICT (transfer_id, sku) DO UPDATE SET sent = excluded.sent,
         received = excluded.received, damaged = excluded.damaged, short = excluded.short,
         to_write_off = excluded.to_write_off, to_return = excluded.to_return,
         returned = excluded.returned, written_off = excluded.written_off`,
      [JSON.stringify(lines)],
    ],
    ...records.flatMap(({ record, known }) =>
      record.receipts
        .filter((r) => !known.has(r.receiptId))
        .map((receipt): Statement => [
          `INSERT INTO transfer_receipts (transfer_id, receipt_id, n, final, lines, created_at)
             SELECT ?, ?, coalesce(max(n), 0) + 1, ?, ?, ? FROM transfer_receipts
             WHERE transfer_id = ?`,
          [
            record.id,
            receipt.receiptId,
            receipt.final ? 1 : 0,
            JSON.stringify(receipt.lines),
            now,
            record.id,
          ],
        ])
    ),
  ]
}

/** A message for a peer; its id is made when it is queued (the peer's inbox de-duplicates by it). */
export interface Outgoing {
  to: string
  kind: TransferMessageKind
  transferId: string
  payload: unknown
}

/** The write that queues messages to peers, in order, each with an id made here; null if none. */
export function enqueueStatement(messages: readonly Outgoing[], now: string): Statement | null {
  if (messages.length === 0) return null
  const rows = messages.map((m) => ({ ...m, id: randomUUID(), payload: JSON.stringify(m.payload) }))
  return [
    `INSERT INTO outbox (id, to_node, kind, transfer_id, payload, created_at, next_attempt_at)
     SELECT value->>'id', value->>'to', value->>'kind', value->>'transferId', value->>'payload',
       ?1, ?1 FROM json_each(?2) ORDER BY key`,
    [now, JSON.stringify(rows)],
  ]
}

/**
 * The bytes a message takes in a peer's request: its payload, and its envelope (the ids, the
 * kind, the time, and `again` on one told again: about 200 bytes), counted as 300.
 */
export function messageBytes(payload: unknown): number {
  return Buffer.byteLength(JSON.stringify(payload)) + 300
}

type Send = Extract<Effect, { send: string }>

/**
 * The messages of `effects` as a peer takes them, each within MAX_MESSAGE_BYTES: a step's
 * messages are held to it when it is made (ops.ts), but a message told again is made from
 * today's catalogue, whose descriptions may have grown since: a dispatch too large goes without
 * them, and one still too large is left out rather than block its peer's lane.
 */
export function fitting(effects: Effect[]): Send[] {
  const fits = (e: Send) => messageBytes(e.payload) <= MAX_MESSAGE_BYTES
  return effects.flatMap((e): Send[] => {
    if (!('send' in e)) return []
    if (fits(e)) return [e]
    const lines = (e.payload.lines ?? []) as { item?: { description?: string } }[]
    const bare: Send = {
      ...e,
      payload: {
        ...e.payload,
        lines: lines.map((l) => ({ ...l, item: l.item && { ...l.item, description: undefined } })),
      },
    }
    return e.send === 'transfer.dispatched' && fits(bare) ? [bare] : []
  })
}

/**
 * The record as `loadMany` will read it once `saveStatements` has stored what a step left: its
 * lines in SKU order (SQLite's, byte by byte), its times those the row keeps.
 */
export function savedAs(record: TransferRecord, before: Loaded | null, now: string): Loaded {
  const bytes = (sku: string) => Buffer.from(sku)
  return {
    record: {
      ...record,
      lines: [...record.lines].sort((a, b) => Buffer.compare(bytes(a.sku), bytes(b.sku))),
    },
    createdAt: before?.createdAt ?? now,
    updatedAt: now,
    closedAt: before?.closedAt ?? (record.state === 'closed' ? now : null),
  }
}

/**
 * A line as this side shows it. At the sender, in transit is what left and is not settled (what
 * is to come back stays in it until booked back); at the receiver, what is still to arrive: what
 * no receipt has accounted for, so a final receipt leaves nothing on its way to it, nor does a
 * transfer rejected or cancelled there (its goods go back to the sender).
 */
export function lineView(
  line: LineRecord,
  direction: 'out' | 'in',
  state?: TransferRecord['state']
): TransferLine {
  if (direction === 'out') return { ...line, inTransit: inTransit(line) }
  const ended = state === 'rejected' || state === 'cancelled'
  const toArrive = Math.max(0, line.sent - line.received - line.toWriteOff - line.toReturn)
  return { ...line, inTransit: ended ? 0 : toArrive }
}

export function view(loaded: Loaded): Transfer {
  const { record, createdAt, updatedAt, closedAt } = loaded
  return {
    id: record.id,
    direction: record.direction,
    peer: record.peer,
    peerName: record.peerName,
    state: record.state,
    outcome: record.outcome,
    reference: record.reference,
    note: record.note,
    reason: record.reason,
    createdAt,
    updatedAt,
    closedAt,
    lines: record.lines.map((line) => lineView(line, record.direction, record.state)),
  }
}

/**
 * A transfer.changed event's data: the Transfer as GET /transfers/:id shows it, and the rest of
 * the record (why goods come back, whether the dispatch arrived, every receipt with its lines), so
 * that a node restored from its peers' replicas of its log rebuilds the record from it
 * (db/transfers/rebuild.ts).
 */
export function logged(loaded: Loaded): LoggedTransfer {
  const { cause, announced, receipts } = loaded.record
  return { ...view(loaded), cause, announced, receipts }
}

export type LoggedTransfer = Transfer & Pick<TransferRecord, 'cause' | 'announced' | 'receipts'>

/** How an outbox message's last_error begins when the peer refused it: then its code, `:`, why. */
export const REFUSED_BY_PEER = 'refused by the peer: '

/** The code a peer refused an outbox message with (SQL over an outbox row), else NULL. */
export const REFUSED_CODE = `CASE WHEN status = 'refused' AND last_error LIKE '${REFUSED_BY_PEER}%:%'
  THEN substr(last_error, ${REFUSED_BY_PEER.length + 1},
    instr(substr(last_error, ${REFUSED_BY_PEER.length + 1}), ':') - 1) END`

/** The transfer with every message of it (outbox and inbox, oldest first) and its receipts. */
export async function detail(sql: Sql, id: string): Promise<TransferDetail | null> {
  const loaded = await load(sql, id)
  if (!loaded) return null
  const messages = await sql.all<TransferMessage>(
    `SELECT id, kind, 'outbound' AS direction, to_node AS peer, created_at AS createdAt,
       delivered_at AS deliveredAt, coalesce(status, 'pending') AS status, ${REFUSED_CODE} AS code,
       attempts, next_attempt_at AS nextAttemptAt,
       CASE WHEN status = 'refused' THEN coalesce(last_error, 'refused by the peer')
         ELSE last_error END AS lastError
     FROM outbox WHERE transfer_id = ?
     UNION ALL
     SELECT id, kind, 'inbound', from_node, created_at, applied_at, status, NULL, 1, NULL,
       CASE WHEN status = 'refused' THEN 'refused here' END
     FROM inbox_log WHERE transfer_id = ?
     ORDER BY createdAt, id`,
    [id, id]
  )
  const receipts = await sql.all<{ receiptId: string; final: number; createdAt: string }>(
    `SELECT receipt_id AS receiptId, final, created_at AS createdAt FROM transfer_receipts
     WHERE transfer_id = ? ORDER BY n`,
    [id]
  )
  // The restore report names the transfers it left out of step.
  const [unsure] = await sql.all<{ why: string | null }>(
    `SELECT j.value->>'why' AS why FROM node_settings s,
       json_each(s.value, '$.transfers.outOfStep') j
     WHERE s.key = ? AND j.value->>'id' = ?`,
    [RESTORE_REPORT, id]
  )
  return {
    ...view(loaded),
    messages,
    receipts: receipts.map((r) => ({ ...r, final: r.final === 1 })),
    ...(unsure?.why ? { outOfStep: unsure.why } : {}),
  }
}
