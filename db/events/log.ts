// The node's event log: every change others must hear about (a movement, an item created or
// changed, a member's row), appended in the same transaction as the change, numbered from 1
// without gaps. It feeds the notice the worker sends after each commit (db/worker.ts), and later
// replication, the transfer outbox, system topics and live clients.
import type { Knex } from 'knex'
import type { EventType, LogEvent } from '../contract/index.ts'
import { withSql, type Sql } from '../sql.ts'

export interface NewEvent {
  type: EventType
  subject: string
  /** The whole row the event is about: a reader needs nothing else. */
  data: unknown
  createdAt: string
}

// Numbered like the ledger: the last seq plus one, in the writer's transaction (a rolled-back
// write leaves no gap, as AUTOINCREMENT would). The base is read once for the statement, and the
// schema refuses any seq but the last plus one (migrations/…_create_events.ts).
const APPEND = `WITH base (seq) AS MATERIALIZED (SELECT coalesce(max(seq), 0) FROM events)
  INSERT INTO events (seq, type, subject, data, created_at)
  SELECT base.seq + e.key + 1, e.value->>'type', e.value->>'subject', e.value->'data',
    e.value->>'createdAt'
  FROM base, json_each(?) AS e`

// Per database handle, as db/ledger/state.ts: whether events were appended since the worker asked.
const appended = new WeakMap<object, boolean>()

/** Appends events with one statement, on `sql` if given (the caller's raw connection). */
export async function appendEvents(db: Knex, events: readonly NewEvent[], sql?: Sql) {
  if (events.length === 0) return
  const text = JSON.stringify(events)
  if (sql) await sql.run(APPEND, [text])
  else await withSql(db, (own) => own.run(APPEND, [text]))
  appended.set(db.client.config, true)
}

/** The last seq of the log (0 when empty). */
export async function eventsHead(sql: Sql): Promise<number> {
  const [row] = await sql.all<{ head: number }>('SELECT coalesce(max(seq), 0) AS head FROM events')
  return row.head
}

/**
 * After a batch has committed: the log's last seq if events may have been appended since the last
 * call, else null (and no statement). A write rolled back after appending makes a false alarm,
 * never a missed one: the head is read from the log itself.
 */
export async function grownHead(knex: Knex): Promise<number | null> {
  const key = knex.client.config as object
  if (!appended.get(key)) return null
  appended.set(key, false)
  return withSql(knex, eventsHead)
}

/** An event as SQLite stores it: its data as JSON text. */
export interface EventRow {
  seq: number
  type: LogEvent['type']
  subject: string
  data: string
  createdAt: string
}

/** The events after `after`, oldest first, at most `limit`, of the `types` given if any. */
export async function listEvents(
  db: Knex,
  { after, limit, types }: { after: number; limit: number; types?: string[] }
): Promise<{ events: LogEvent[]; head: number }> {
  return withSql(db, async (sql) => {
    const only = types ? 'AND type IN (SELECT value FROM json_each(?))' : ''
    const rows = await sql.all<EventRow>(
      `SELECT seq, type, subject, data, created_at AS createdAt FROM events
       WHERE seq > ? ${only} ORDER BY seq LIMIT ?`,
      types ? [after, JSON.stringify(types), limit] : [after, limit]
    )
    const head = await eventsHead(sql)
    return { events: rows.map((row) => ({ ...row, data: JSON.parse(row.data) })), head }
  })
}
