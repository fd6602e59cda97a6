// A node's log served as a feed: pages of events after a position, cut by count and by bytes,
// with the log's head. Served from this node's own log (events.feed, what peers replicate) or
// from its replica of a peer's (replicas.feed: the rows chain, so any holder may serve them).
import type { Knex } from 'knex'
import type { FeedPage, FeedPosition, Hashes, LogEvent, Payload } from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import type { EventRow } from '../events/log.ts'
import { EMPTY_LEDGER, GENESIS_HASH } from '../ledger/hash.ts'
import { MOVEMENT_ROW } from '../ledger/row.ts'
import { OWN_LEDGER, whereOf, type RowSource } from '../ledger/rows.ts'
import { withSql, type Sql } from '../sql.ts'
import { getReplica } from './store.ts'

/** A log and its ledger: this node's own, or a replica's (the same columns, per node id). */
interface LogSource {
  events: 'events' | 'replica_events'
  ledger: RowSource
  /** The SQL that reads an event's data (the table is `e`). */
  data: string
}

const OWN_LOG: LogSource = { events: 'events', ledger: OWN_LEDGER, data: 'e.data' }

// A replica stores a movement.recorded event's data as the seq of the ledger row it carried
// (db/replicas/apply.ts): the row itself is in replica_movements. Served, it is that row again,
// every field, as the owner's event had it. Data stored whole (by an earlier version) is served
// as stored.
const REPLICA_EVENT_DATA = `CASE WHEN e.type = 'movement.recorded' AND json_type(e.data) = 'integer'
  THEN (SELECT json_object(${MOVEMENT_ROW.columns.map(([f, c]) => `'${f}', m.${c}`).join(', ')})
    FROM replica_movements m WHERE m.node_id = e.node_id AND m.seq = e.data + 0)
  ELSE e.data END`

const replicaLog = (nodeId: string): LogSource => ({
  events: 'replica_events',
  ledger: { table: 'replica_movements', nodeId },
  data: REPLICA_EVENT_DATA,
})

/** The hash of the ledger row at `seq` in a source (the genesis at 0), or null without one. */
async function hashAt(sql: Sql, source: RowSource, seq: number): Promise<string | null> {
  if (seq === 0) return GENESIS_HASH
  const { where, params } = whereOf(source)
  const [row] = await sql.all<{ hash: string }>(
    `SELECT hash FROM ${source.table} WHERE ${where} seq = ?`,
    [...params, seq]
  )
  return row?.hash ?? null
}

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

/** The own log's head: its last event, and the last ledger row. */
export async function ownHead(sql: Sql): Promise<FeedPosition> {
  const [row] = await sql.all<{ events: number; ledger: string | null }>(
    `SELECT (SELECT coalesce(max(seq), 0) FROM events) AS events,
       (SELECT json_array(seq, hash) FROM movements ORDER BY seq DESC LIMIT 1) AS ledger`
  )
  const ledger = row.ledger ? (JSON.parse(row.ledger) as [number, string]) : null
  return { events: row.events, ledger: ledger ? { seq: ledger[0], hash: ledger[1] } : EMPTY_LEDGER }
}

async function page(
  sql: Sql,
  source: LogSource,
  head: FeedPosition,
  { after, limit, maxBytes }: Omit<Payload<'events.feed'>, never>
): Promise<FeedPage> {
  const ours = await hashAt(sql, source.ledger, after.ledger.seq)
  if (ours !== after.ledger.hash || after.events > head.events) {
    const what = ours === null ? 'has no such row' : `has ${ours.slice(0, 12)}… there`
    throw new DomainError(
      'FORKED',
      `The position asked for (event ${after.events}, ledger row ${after.ledger.seq} ${after.ledger.hash.slice(0, 12)}…) is not in this log: its ledger ${what}, and its log ends at event ${head.events}`,
      { seq: after.ledger.seq, hash: ours, head }
    )
  }
  const { where, params } = whereOf(source.ledger)
  const rows = await sql.all<EventRow>(
    `SELECT e.seq, e.type, e.subject, ${source.data} AS data, e.created_at AS createdAt
     FROM ${source.events} e WHERE ${where} seq > ? ORDER BY seq LIMIT ?`,
    [...params, after.events, limit]
  )
  const events: LogEvent[] = []
  let bytes = 0
  for (const row of rows) {
    bytes += row.data.length
    if (events.length > 0 && bytes > maxBytes) break
    events.push({ ...row, data: JSON.parse(row.data) })
  }
  const last = events.at(-1)?.seq ?? after.events
  return { events, head, upToDate: last >= head.events }
}

/** This node's own log after a position (events.feed). */
export function ownFeed(db: Knex, payload: Payload<'events.feed'>): Promise<FeedPage> {
  return withSql(db, async (sql) => page(sql, OWN_LOG, await ownHead(sql), payload))
}

/** A peer's log as this node's replica holds it (replicas.feed). */
export function replicaFeed(db: Knex, payload: Payload<'replicas.feed'>): Promise<FeedPage> {
  const { nodeId, ...asked } = payload
  return withSql(db, async (sql) => {
    const { cursor } = await getReplica(sql, nodeId)
    return page(sql, replicaLog(nodeId), cursor, asked)
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
