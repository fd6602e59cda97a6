// A node's log served as a feed: pages of events after a position, cut by count and by bytes,
// with the log's head. Served from this node's own log (events.feed, what peers replicate) or
// from its replica of a peer's (replicas.feed: the rows chain, so any holder may serve them).
import type { Knex } from 'knex'
import {
  FramedText,
  type FeedPage,
  type FeedPageText,
  type FeedPosition,
  type Hashes,
  type Payload,
} from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import { headOf, OWN_HEAD, type EventRow, type HeadRow } from '../events/log.ts'
import { GENESIS_HASH } from '../ledger/hash.ts'
import { ledgerState } from '../ledger/state.ts'
import { MOVEMENT_ROW } from '../ledger/row.ts'
import { OWN_LEDGER, whereOf, type RowSource } from '../ledger/rows.ts'
import { withSql, type Sql } from '../sql.ts'
import { getReplica, replicaNotFound } from './store.ts'

/** A log and its ledger: this node's own, or a replica's (the same columns, per node id). */
interface LogSource {
  events: 'events' | 'replica_events'
  ledger: RowSource
  /** The SQL that reads an event's data (the table is `e`). */
  data: string
  /**
   * The SQL that reads the log's head as `headEvents` and `headLedger` (a JSON [seq, hash], or
   * null with no ledger row), one row, none for a replica this node does not hold; its parameters.
   */
  head: string
  headParams: unknown[]
}

const OWN_LOG: LogSource = {
  events: 'events',
  ledger: OWN_LEDGER,
  data: 'e.data',
  head: OWN_HEAD,
  headParams: [],
}

// A replica stores a movement.recorded event's data as the seq of the ledger row it carried
// (db/replicas/apply.ts): the row itself is in replica_movements. Served, it is that row again,
// every field, as the owner's event had it. Data stored whole (by an earlier version) is served
// as stored.
const REPLICA_EVENT_DATA = `CASE WHEN e.type = 'movement.recorded' AND json_type(e.data) = 'integer'
  THEN (SELECT json_object(${MOVEMENT_ROW.columns.map(([f, c]) => `'${f}', m.${c}`).join(', ')})
    FROM replica_movements m WHERE m.node_id = e.node_id AND m.seq = e.data + 0)
  ELSE e.data END`

// A replica's head, served, is its cursor: what it has received.
const replicaLog = (nodeId: string): LogSource => ({
  events: 'replica_events',
  ledger: { table: 'replica_movements', nodeId },
  data: REPLICA_EVENT_DATA,
  head: `SELECT events_seq AS headEvents, json_array(ledger_seq, ledger_hash) AS headLedger
    FROM replicas WHERE node_id = ?`,
  headParams: [nodeId],
})

/** The hashes of the rows at `seqs` that a source has. */
async function hashesIn(sql: Sql, source: RowSource, seqs: number[]): Promise<Hashes> {
  const { where, params } = whereOf(source)
  const hashes = await sql.all<{ seq: number; hash: string }>(
    `SELECT seq, hash FROM ${source.table}
     WHERE ${where} seq IN (SELECT value FROM json_each(?)) ORDER BY seq`,
    [...params, JSON.stringify(seqs)]
  )
  return { hashes }
}

/**
 * A page of a log after a position, its head, and the hash its ledger has at the position's row,
 * read by one statement (three cost three trips to SQLite's thread, and a feed is asked for after
 * every write a peer follows): a row per event, each with the head and the hash; one row with no
 * event when the page is empty; none when the source has no head (a replica not held here).
 */
function pageSql(source: LogSource): string {
  const { where } = whereOf(source.ledger)
  return `SELECT h.headEvents, h.headLedger,
      (SELECT hash FROM ${source.ledger.table} WHERE ${where} seq = ?) AS ours,
      p.seq, p.type, p.subject, p.data, p.createdAt
    FROM (${source.head}) h
    LEFT JOIN (SELECT e.seq, e.type, e.subject, ${source.data} AS data, e.created_at AS createdAt
      FROM ${source.events} e WHERE ${where} seq > ? ORDER BY seq LIMIT ?) p ON true
    ORDER BY p.seq`
}

type PageRow = HeadRow & { ours: string | null } & ({ seq: null } | EventRow)

/** A page's rows as read, with the log's head, and whether they reach it. */
interface PageRead {
  head: FeedPosition
  rows: EventRow[]
  upToDate: boolean
}

/**
 * The rows of a page of a log after a position, with its head: the events up to `limit`, cut once
 * their data pass `maxBytes` (one at least); null when the source has no head. FORKED when the
 * position is not in the log.
 */
async function pageRows(
  sql: Sql,
  source: LogSource,
  { after, limit, maxBytes }: Payload<'events.feed'>
): Promise<PageRead | null> {
  const { params } = whereOf(source.ledger)
  const rows = await sql.all<PageRow>(pageSql(source), [
    ...params,
    after.ledger.seq,
    ...source.headParams,
    ...params,
    after.events,
    limit,
  ])
  if (rows.length === 0) return null
  const head = headOf(rows[0])
  const ours = after.ledger.seq === 0 ? GENESIS_HASH : rows[0].ours
  if (ours !== after.ledger.hash || after.events > head.events) {
    const what = ours === null ? 'has no such row' : `has ${ours.slice(0, 12)}… there`
    throw new DomainError(
      'FORKED',
      `The position asked for (event ${after.events}, ledger row ${after.ledger.seq} ${after.ledger.hash.slice(0, 12)}…) is not in this log: its ledger ${what}, and its log ends at event ${head.events}`,
      { seq: after.ledger.seq, hash: ours, head }
    )
  }
  const kept: EventRow[] = []
  let bytes = 0
  for (const row of rows) {
    if (row.seq === null) break // the empty page's one row
    bytes += row.data.length
    if (kept.length > 0 && bytes > maxBytes) break
    kept.push(row)
  }
  const last = kept.at(-1)?.seq ?? after.events
  return { head, rows: kept, upToDate: last >= head.events }
}

/** A page read, then put as `format` says; null when the source has no head. */
const served =
  <T>(format: (read: PageRead) => T) =>
  async (sql: Sql, source: LogSource, asked: Payload<'events.feed'>): Promise<T | null> => {
    const read = await pageRows(sql, source, asked)
    return read ? format(read) : null
  }

const page = served<FeedPage>(({ rows, head, upToDate }) => ({
  events: rows.map(({ seq, type, subject, data, createdAt }) => ({
    seq,
    type,
    subject,
    data: JSON.parse(data),
    createdAt,
  })),
  head,
  upToDate,
}))

/**
 * The same page as its JSON text, each event's data spliced in as stored (the log's and the
 * replica's data are JSON, checked as they are written): nothing parsed and serialized again, in
 * the worker or in the route that serves it.
 */
const pageText = served<FeedPageText>(({ rows, head, upToDate }) => {
  const str = JSON.stringify
  const events = rows.map(
    (e) =>
      `{"seq":${e.seq},"type":${str(e.type)},"subject":${str(e.subject)},"data":${e.data},"createdAt":${str(e.createdAt)}}`
  )
  return new FramedText(
    `{"events":[${events.join(',')}],"head":${str(head)},"upToDate":${upToDate}}`,
    events.length
  )
})

/** This node's own log after a position (events.feed). */
export async function ownFeed(db: Knex, payload: Payload<'events.feed'>): Promise<FeedPage> {
  return withSql(db, async (sql) => (await page(sql, OWN_LOG, payload)) as FeedPage)
}

/** events.feed as its JSON text (events.feedText). */
export async function ownFeedText(
  db: Knex,
  payload: Payload<'events.feedText'>
): Promise<FeedPageText> {
  notRestoring(db)
  return withSql(db, async (sql) => (await pageText(sql, OWN_LOG, payload)) as FeedPageText)
}

/**
 * A restore begun here and not finished: the log here is a part of the restored node's, which its
 * peers would take for this node's own (their replicas of it would hold another node's history).
 * Checked on events.feedText, what /peer/feed serves, only: the node's own reads of its log
 * (events.feed: its event hub, the network's check of its ledger as it opens) go on, so a node
 * whose restore failed opens again and serves.
 */
function notRestoring(db: Knex): void {
  const { restoring } = ledgerState(db)
  if (restoring) {
    throw new DomainError(
      'CONFLICT',
      `This node is being restored as ${restoring}: its log is served once the restore finishes`
    )
  }
}

/** A peer's log as this node's replica holds it (replicas.feed). */
export function replicaFeed(db: Knex, payload: Payload<'replicas.feed'>): Promise<FeedPage> {
  const { nodeId, ...asked } = payload
  return withSql(db, async (sql) => {
    const served = await page(sql, replicaLog(nodeId), asked)
    if (!served) throw replicaNotFound(nodeId)
    return served
  })
}

/** replicas.feed as its JSON text (replicas.feedText). */
export function replicaFeedText(
  db: Knex,
  payload: Payload<'replicas.feedText'>
): Promise<FeedPageText> {
  const { nodeId, ...asked } = payload
  return withSql(db, async (sql) => {
    const served = await pageText(sql, replicaLog(nodeId), asked)
    if (!served) throw replicaNotFound(nodeId)
    return served
  })
}

export function ownHashes(db: Knex, { seqs }: Payload<'ledger.hashes'>): Promise<Hashes> {
  return withSql(db, (sql) => hashesIn(sql, OWN_LEDGER, seqs))
}

export function replicaHashes(db: Knex, p: Payload<'replicas.hashes'>): Promise<Hashes> {
  return withSql(db, async (sql) => {
    await getReplica(sql, p.nodeId)
    return hashesIn(sql, replicaLog(p.nodeId).ledger, p.seqs)
  })
}
