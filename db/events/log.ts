// The node's event log: every change others must hear about (a movement, an item created or
// changed, a member's row), appended in the same transaction as the change, numbered from 1
// without gaps. It feeds the notice the worker sends after each commit (db/worker.ts), and later
// replication, the transfer outbox, system topics and live clients.
import type { Knex } from 'knex'
import type { EventType, FeedPosition, LogEvent, Notice } from '../contract/index.ts'
import { EMPTY_LEDGER } from '../ledger/hash.ts'
import { afterTransaction } from '../ledger/state.ts'
import { withSql, type Sql, type Statement } from '../sql.ts'

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

// Per database handle, as db/ledger/state.ts: whether events were appended since the worker asked,
// whether a federation rule exists (read once, forgotten when the rules change), and whether an
// append may have put federated messages in the outbox (its trigger does, for matching events).
const appended = new WeakMap<object, boolean>()
const federating = new WeakMap<object, boolean>()
const outboxGrew = new WeakMap<object, boolean>()

const ANY_FEDERATION = 'SELECT EXISTS (SELECT 1 FROM federations) AS yes'

/** Whether a federation rule exists; none on a database from before federation (its tests). */
async function anyFederation(sql: Sql): Promise<boolean> {
  try {
    const [{ yes }] = await sql.all<{ yes: number }>(ANY_FEDERATION)
    return yes === 1
  } catch (err) {
    if (/no such table: federations/.test((err as Error).message)) return false
    throw err
  }
}

/** Appends events with one statement, on `sql` if given (the caller's raw connection). */
export async function appendEvents(db: Knex, events: readonly NewEvent[], sql?: Sql) {
  if (events.length === 0) return
  const append = async (on: Sql) => {
    const statement = await appendStatement(db, on, events)
    if (statement) await on.run(statement[0], [...(statement[1] ?? [])])
  }
  if (sql) await append(sql)
  else await withSql(db, append)
}

/**
 * The statement that appends `events`, for a caller that runs it in a script with its other
 * writes (db/sql.ts); null when there are none. The log is told it grew (the worker's notice
 * reads its head after the commit; a batch that rolls back leaves the head where it was).
 */
export async function appendStatement(
  db: Knex,
  sql: Sql,
  events: readonly NewEvent[]
): Promise<Statement | null> {
  if (events.length === 0) return null
  const key = db.client.config as object
  if (!federating.has(key)) federating.set(key, await anyFederation(sql))
  appended.set(key, true)
  if (federating.get(key)) outboxGrew.set(key, true)
  return [APPEND, [JSON.stringify(events)]]
}

/**
 * The federation rules change in this transaction: read again whether there is any, at the next
 * append, and once more after the transaction ends. An append later in it reads the rules as they
 * stand in it, which a COMMIT that fails takes back: kept, "no rules" would outlive a removal
 * rolled back, and what the triggers put in the outbox would no longer wake the relay.
 */
export function forgetFederating(db: Knex): void {
  const key = db.client.config as object
  federating.delete(key)
  afterTransaction(db, () => federating.delete(key))
}

/** Whether appends since the last call may have put federated messages in the outbox. */
export function takeOutboxGrew(knex: Knex): boolean {
  const key = knex.client.config as object
  const grew = outboxGrew.get(key) === true
  outboxGrew.set(key, false)
  return grew
}

/** The last seq of the log (0 when empty). */
export async function eventsHead(sql: Sql): Promise<number> {
  const [row] = await sql.all<{ head: number }>('SELECT coalesce(max(seq), 0) AS head FROM events')
  return row.head
}

/**
 * The own log's head, as SQL: its last event (`headEvents`) and its last ledger row
 * (`headLedger`, a JSON [seq, hash], or null with none). One statement: the feed reads it with
 * each page (db/replicas/feed.ts), the worker after every write batch.
 */
export const OWN_HEAD = `SELECT (SELECT coalesce(max(seq), 0) FROM events) AS headEvents,
  (SELECT json_array(seq, hash) FROM movements ORDER BY seq DESC LIMIT 1) AS headLedger`

export interface HeadRow {
  headEvents: number
  headLedger: string | null
}

export const headOf = (row: HeadRow): FeedPosition => {
  const ledger = row.headLedger ? (JSON.parse(row.headLedger) as [number, string]) : null
  return {
    events: row.headEvents,
    ledger: ledger ? { seq: ledger[0], hash: ledger[1] } : EMPTY_LEDGER,
  }
}

/** The own log's head: its last event, and the last ledger row. */
export async function ownHead(sql: Sql): Promise<FeedPosition> {
  const [row] = await sql.all<HeadRow>(OWN_HEAD)
  return headOf(row)
}

/**
 * After a batch has committed: where the log and the ledger stand (no ledger before its first
 * row) if events may have been appended since the last call, else null (and no statement). A
 * write rolled back after appending makes a false alarm, never a missed one: the head is read
 * from the log itself.
 */
export async function grownPosition(knex: Knex): Promise<Pick<Notice, 'head' | 'ledger'> | null> {
  const key = knex.client.config as object
  if (!appended.get(key)) return null
  appended.set(key, false)
  const { events, ledger } = await withSql(knex, ownHead)
  return { head: events, ...(ledger.seq > 0 && { ledger }) }
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
