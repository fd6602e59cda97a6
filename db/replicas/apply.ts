// Applying a page of a peer's log to this node's replica of it. The page must follow the stored
// cursor exactly; its events must be numbered on; every ledger row must follow the replica's
// head (next seq, linked to its hash) and hash to its own hash. A page that fails any of that
// breaks the replica, with its reason, and none of it is applied. Otherwise the events, the
// ledger rows, the projections (balances, items) and the cursor are written with a handful of
// statements, in the batch's one transaction: a crash never loses or repeats a row.
import type { Knex } from 'knex'
import { z } from 'zod'
import type {
  BrokenReason,
  FeedPosition,
  Movement,
  Payload,
  Replica,
  Result,
} from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import { hashMovement } from '../ledger/hash.ts'
import { projected } from '../ledger/kinds.ts'
import { MOVEMENT_ROW } from '../ledger/row.ts'
import { headRows, verified } from '../ledger/rows.ts'
import type { VerifiedRow } from '../ledger/verify.ts'
import { checkRow, LINK_CHECKS } from '../ledger/verify.ts'
import { withSql, type Sql, type Statement } from '../sql.ts'
import { verify as verifyReplica } from './read.ts'
import {
  breakReplica,
  ensureReplica,
  getReplica,
  REPLICA_COLUMNS,
  toReplica,
  type ReplicaRow,
} from './store.ts'

type Page = Payload<'replicas.apply'>
type LogEvent = Page['events'][number]

// A ledger row as it travels; checked before it is hashed or stored. A transfer's rows name it
// and the other warehouse (hashed), and a row may name who made it (hashed when set); other rows,
// and rows from nodes of before those fields, have none: absent and null alike are stored as null.
const movementRow = z.object({
  seq: z.number().int().min(1),
  type: z.string(),
  sku: z.string(),
  quantity: z.number().int(),
  delta: z.number().int(),
  countedQuantity: z.number().int().nullable(),
  transferId: z.string().nullish(),
  counterparty: z.string().nullish(),
  balanceAfter: z.number().int(),
  reference: z.string(),
  note: z.string(),
  createdAt: z.string(),
  prevHash: z.string(),
  hash: z.string(),
  actor: z.string().nullish(),
})

const itemRow = z.object({
  sku: z.string(),
  name: z.string(),
  unit: z.string(),
  description: z.string(),
  reorderPoint: z.number().int().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
type ItemRow = z.output<typeof itemRow>

interface Decided {
  movements: (Movement & { eventSeq: number })[]
  items: Map<string, ItemRow>
  cursor: FeedPosition
}

type Break = { reason: BrokenReason; message: string }

export const same = (a: FeedPosition, b: FeedPosition) =>
  a.events === b.events && a.ledger.seq === b.ledger.seq && a.ledger.hash === b.ledger.hash

/** What the page adds, checked against the cursor it follows; or why it breaks the replica. */
export function decide(cursor: FeedPosition, events: readonly LogEvent[]): Decided | Break {
  let at = cursor.events
  let head = cursor.ledger
  const movements: Decided['movements'] = []
  const items = new Map<string, ItemRow>()
  for (const event of events) {
    if (event.seq !== at + 1) {
      return {
        reason: 'gap',
        message: `event ${at + 1} is missing: the page goes on at ${event.seq}`,
      }
    }
    at = event.seq
    if (event.type === 'item.created' || event.type === 'item.updated') {
      const item = itemRow.safeParse(event.data)
      if (item.success) items.set(item.data.sku, item.data)
      continue
    }
    if (event.type !== 'movement.recorded') continue
    const parsed = movementRow.safeParse(event.data)
    if (!parsed.success) {
      return { reason: 'chain_broken', message: `event ${event.seq} carries no whole ledger row` }
    }
    const row = parsed.data as Movement
    if (row.seq !== head.seq + 1) {
      const message = `ledger row ${head.seq + 1} is missing: event ${event.seq} carries row ${row.seq}`
      return { reason: 'gap', message }
    }
    if (row.prevHash !== head.hash) {
      const message = `ledger row ${row.seq} does not link to row ${head.seq} held here`
      return { reason: 'chain_broken', message }
    }
    if (hashMovement(row) !== row.hash) {
      const message = `ledger row ${row.seq} does not hash to its hash: it was changed`
      return { reason: 'chain_broken', message }
    }
    head = { seq: row.seq, hash: row.hash }
    // zod's output is a new object of the page's own: it takes the event's seq with no copy.
    const stored = row as Decided['movements'][number]
    stored.eventSeq = event.seq
    movements.push(stored)
  }
  return { movements, items, cursor: { events: at, ledger: head } }
}

type Held = { sku: string; onHand: number; sent: number; received: number }

/** What applying a page reads before it decides: the replica, its last two rows, its balances. */
interface Standing {
  replica: Replica
  /** Newest first. */
  head: VerifiedRow[]
  /** The balances held of the page's SKUs (a SKU with none holds nothing yet). */
  held: Held[]
}

// The replica, its own last two rows and its balances of some SKUs, in one statement: a page's
// reads, which were three.
const STANDING_SQL = `SELECT ${REPLICA_COLUMNS},
  (SELECT json_group_array(json_object(${MOVEMENT_ROW.columns.map(([field, column]) => `'${field}', ${column}`).join(', ')}) ORDER BY seq DESC)
    FROM (SELECT * FROM replica_movements m WHERE m.node_id = r.node_id ORDER BY seq DESC LIMIT 2))
    AS head,
  (SELECT json_group_array(json_object('sku', b.sku, 'onHand', b.on_hand, 'sent', b.sent,
      'received', b.received))
    FROM replica_balances b WHERE b.node_id = r.node_id AND b.sku IN (SELECT value FROM json_each(?)))
    AS held
  FROM replicas r WHERE r.node_id = ?`

/**
 * Where the replica of the page's owner stands, made if there is none (its first page): one
 * statement for a replica there, or the reads one by one — for a first page, or rows whose
 * values JSON cannot hold (a BLOB written behind the node's back).
 */
async function standing(sql: Sql, page: Page): Promise<Standing> {
  const skus = new Set<string>()
  for (const event of page.events) {
    const sku = (event.data as { sku?: unknown } | null)?.sku
    if (event.type === 'movement.recorded' && typeof sku === 'string') skus.add(sku)
  }
  const [row] = await sql
    .all<ReplicaRow & { head: string; held: string }>(STANDING_SQL, [
      JSON.stringify([...skus]),
      page.nodeId,
    ])
    // Only a value JSON cannot hold fails here where the reads one by one would not.
    .catch((err: Error) => {
      if (/JSON|BLOB/i.test(err.message)) return []
      throw err
    })
  if (row) {
    const { head, held, ...replica } = row
    return {
      replica: toReplica(replica),
      head: (JSON.parse(head) as Movement[]).map(verified),
      held: JSON.parse(held),
    }
  }
  const replica = await ensureReplica(sql, page.nodeId, page.name)
  return {
    replica,
    head: await headRows(sql, { table: 'replica_movements', nodeId: replica.nodeId }),
    held: await sql.all<Held>(
      `SELECT sku, on_hand AS onHand, sent, received FROM replica_balances
       WHERE node_id = ? AND sku IN (SELECT value FROM json_each(?))`,
      [page.nodeId, JSON.stringify([...skus])]
    ),
  }
}

/**
 * The replica's own last rows still re-hash, link, and are what the cursor says: a row changed or
 * removed on this node's disk is caught before anything is built on it. Two rows, every page.
 */
function ownHeadProblem({ replica, head }: Standing): string | null {
  const [last, before] = head
  const held = last
    ? { seq: last.seq, hash: last.hash }
    : { seq: 0, hash: replica.cursor.ledger.hash }
  if (held.seq !== replica.cursor.ledger.seq || held.hash !== replica.cursor.ledger.hash) {
    return `the replica's last row held is ${held.seq}, its cursor says ${replica.cursor.ledger.seq}: a row was changed or removed on this node's disk`
  }
  if (!last) return null
  const base = before ?? { seq: 0, hash: '0'.repeat(64) }
  const found = checkRow(last, { head: base, sum: 0 }, LINK_CHECKS)
  return found.length ? `the replica's own ${found[0].message} on this node's disk` : null
}

const EVENT_COLUMNS = ['node_id', 'seq', 'type', 'subject', 'data', 'created_at']
// A movement's event keeps, as its data, only the seq of the ledger row it carried: the row is
// stored once, in replica_movements, and the feed served from this replica puts it back
// (db/replicas/feed.ts). Storing it twice made the catch-up write every row's text twice.
const eventData = (e: LogEvent) =>
  e.type === 'movement.recorded' ? String((e.data as Movement).seq) : JSON.stringify(e.data ?? null)
const eventValues = (events: readonly LogEvent[]) =>
  events.map((e) => [e.seq, e.type, e.subject, eventData(e), e.createdAt])

const MOVEMENT_COLUMNS = [
  'node_id',
  ...MOVEMENT_ROW.columns.map(([, column]) => column),
  'event_seq',
]
const movementValues = (movements: Decided['movements']) =>
  movements.map((m) => [...MOVEMENT_ROW.values(m), m.eventSeq])

// Multi-row VALUES, in chunks: for a page of rows, several times faster in SQLite than reading
// the same rows out of one JSON text with json_each.
const CHUNK_PARAMS = 8000
const statements = new Map<string, string>()

/**
 * The inserts of `rows` into `table`, a chunk each, for a script (db/sql.ts) or to run. The
 * values in `shared` lead every row (the first columns) and are bound once per chunk, as ?1…:
 * each value bound is a call into node-sqlite3 on the worker's thread, the largest part of
 * writing a page of rows.
 */
export function rowInserts(
  table: string,
  columns: string[],
  rows: unknown[][],
  shared: unknown[] = []
): Statement[] {
  const own = columns.length - shared.length
  const perChunk = Math.max(1, Math.floor(CHUNK_PARAMS / own))
  const out: Statement[] = []
  for (let i = 0; i < rows.length; i += perChunk) {
    const count = Math.min(perChunk, rows.length - i)
    const key = `${table} ${count} ${shared.length}`
    let text = statements.get(key)
    if (!text) {
      // A bare ? takes the number after the largest one already used: ?1, ?2, ?3, ?1, ?4, ?5…
      const lead = shared.map((_, n) => `?${n + 1}`)
      const row = `(${[...lead, ...Array(own).fill('?')].join(', ')})`
      text = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(count).fill(row).join(', ')}`
      statements.set(key, text)
    }
    // One flat array of the chunk's values, filled in place: slice and flat cost more than the
    // inserts' own JavaScript in a page of 2,000 rows.
    const params: unknown[] = new Array(shared.length + count * own)
    let at = 0
    for (const value of shared) params[at++] = value
    for (let r = i; r < i + count; r++) for (const value of rows[r]) params[at++] = value
    out.push([text, params])
  }
  return out
}

export async function insertRows(sql: Sql, table: string, columns: string[], rows: unknown[][]) {
  for (const [text, params] of rowInserts(table, columns, rows))
    await sql.run(text, [...(params ?? [])])
}

// A run of movement events at least this long, each as the owner's ledger writes it (its SKU as
// subject, its row's time), is copied from the rows just stored, with one statement and three
// values, rather than sent as six values an event. Shorter runs are not worth a statement apart
// from the events around them.
const COPIED_RUN = 32
const COPY_EVENTS = `INSERT INTO replica_events (node_id, seq, type, subject, data, created_at)
  SELECT node_id, event_seq, 'movement.recorded', sku, CAST(seq AS TEXT), created_at
  FROM replica_movements WHERE node_id = ? AND seq BETWEEN ? AND ? ORDER BY seq`

/** Whether a movement event says no more than its row does (the owner's log writes them so). */
const copiable = (e: LogEvent) => {
  if (e.type !== 'movement.recorded') return false
  const row = e.data as Movement
  return e.subject === row.sku && e.createdAt === row.createdAt
}

/**
 * The inserts of the page's events, in their order (each must follow the one before): long runs
 * of movement events copied from their stored rows, the others with their values.
 */
function eventInserts(nodeId: string, events: readonly LogEvent[]): Statement[] {
  const out: Statement[] = []
  let from = 0 // the first event not yet in a statement
  const valued = (to: number) => {
    if (to > from) {
      out.push(
        ...rowInserts('replica_events', EVENT_COLUMNS, eventValues(events.slice(from, to)), [
          nodeId,
        ])
      )
    }
  }
  for (let i = 0; i < events.length;) {
    let end = i
    while (end < events.length && copiable(events[end])) end++
    if (end - i >= COPIED_RUN) {
      valued(i)
      const first = (events[i].data as Movement).seq
      const last = (events[end - 1].data as Movement).seq
      out.push([COPY_EVENTS, [nodeId, first, last]])
      from = end
    }
    i = end === i ? i + 1 : end
  }
  valued(events.length)
  return out
}

const UPSERT_BALANCES = `INSERT INTO replica_balances
    (node_id, sku, on_hand, sent, received, last_seq, updated_at)
  SELECT ?, value->>'sku', value->>'onHand', value->>'sent', value->>'received', value->>'lastSeq',
    value->>'updatedAt'
  FROM json_each(?) WHERE true
  ON CONFLICT (node_id, sku) DO UPDATE SET on_hand = excluded.on_hand, sent = excluded.sent,
    received = excluded.received, last_seq = excluded.last_seq, updated_at = excluded.updated_at`

const UPSERT_ITEMS = `INSERT INTO replica_items (node_id, sku, name, unit, description,
    reorder_point, created_at, updated_at)
  SELECT ?, value->>'sku', value->>'name', value->>'unit', value->>'description',
    value->>'reorderPoint', value->>'createdAt', value->>'updatedAt' FROM json_each(?) WHERE true
  ON CONFLICT (node_id, sku) DO UPDATE SET name = excluded.name, unit = excluded.unit,
    description = excluded.description, reorder_point = excluded.reorder_point,
    updated_at = excluded.updated_at`

/** The balances the page's rows move, from those held: the projection, row by row. */
function balancesAfter(held: Held[], movements: Decided['movements']) {
  const moved = new Map<string, Held & { lastSeq: number; updatedAt: string }>()
  // Written out, not spread: a parsed row spread with fields added made this function ten times
  // slower (a scratch measure, 1,500 SKUs held: 3.3 µs a row against 0.3).
  for (const { sku, onHand, sent, received } of held) {
    moved.set(sku, { sku, onHand, sent, received, lastSeq: 0, updatedAt: '' })
  }
  // Each SKU's balance is added to in place, row after row: no object per row.
  for (const m of movements) {
    let balance = moved.get(m.sku)
    if (!balance) {
      balance = { sku: m.sku, onHand: 0, sent: 0, received: 0, lastSeq: 0, updatedAt: '' }
      moved.set(m.sku, balance)
    }
    balance.onHand += m.delta
    balance.sent += projected('sent', m)
    balance.received += projected('received', m)
    balance.lastSeq = m.seq
    balance.updatedAt = m.createdAt
  }
  return [...moved.values()]
}

/**
 * Stores a decided page (db/sql.ts): its events, rows, the balances they move, the items it
 * defines, and the cursor; the replica as it then stands. A statement that fails undoes the
 * page's rows (their own savepoint, which `apply` relies on to record why) and the caller's.
 */
async function write(
  sql: Sql,
  page: Page,
  decided: Decided,
  held: Held[],
  now: string
): Promise<Replica> {
  const { nodeId } = page
  const { cursor } = decided
  const balances = decided.movements.length > 0 ? balancesAfter(held, decided.movements) : []
  // The rows first: a run of their events is copied from them.
  const inserts = [
    ...rowInserts('replica_movements', MOVEMENT_COLUMNS, movementValues(decided.movements), [
      nodeId,
    ]),
    ...eventInserts(nodeId, page.events),
  ]
  // In a savepoint: a row that breaks a table's rule takes the page's other rows back with it.
  await sql.script(
    [
      ...inserts,
      ...(balances.length > 0
        ? [[UPSERT_BALANCES, [nodeId, JSON.stringify(balances)]] as const]
        : []),
      ...(decided.items.size > 0
        ? [[UPSERT_ITEMS, [nodeId, JSON.stringify([...decided.items.values()])]] as const]
        : []),
    ],
    { savepoint: true }
  )
  // The cursor moved, and the replica read back as it stands, in one statement.
  const [row] = await sql.all<ReplicaRow>(
    `UPDATE replicas SET events_seq = ?, ledger_seq = ?, ledger_hash = ?, state = ?,
       last_error = NULL, head_events_seq = ?, head_ledger_seq = ?,
       caught_up_at = CASE WHEN ? THEN ? ELSE caught_up_at END,
       name = CASE WHEN ? <> '' THEN ? ELSE name END, updated_at = ?
     WHERE node_id = ? RETURNING ${REPLICA_COLUMNS}`,
    [
      cursor.events,
      cursor.ledger.seq,
      cursor.ledger.hash,
      page.upToDate ? 'live' : 'catching_up',
      Math.max(page.head.events, cursor.events),
      Math.max(page.head.ledger.seq, cursor.ledger.seq),
      page.upToDate ? 1 : 0,
      now,
      page.name ?? '',
      page.name ?? '',
      now,
      nodeId,
    ]
  )
  return toReplica(row)
}

export async function apply(db: Knex, page: Page): Promise<{ replica: Replica; applied: number }> {
  return withSql(db, async (sql) => {
    const at = await standing(sql, page)
    const { replica } = at
    const who = replica.name || page.nodeId
    if (replica.state === 'broken') {
      throw new DomainError(
        'CONFLICT',
        `The replica of ${who} is broken (${replica.reason}: ${replica.lastError}); nothing more is applied to it`,
        { replica }
      )
    }
    if (!same(replica.cursor, page.after)) {
      throw new DomainError(
        'CONFLICT',
        `The page follows event ${page.after.events}, but the replica of ${who} stands at event ${replica.cursor.events}: it was applied already, or another is missing`,
        { cursor: replica.cursor }
      )
    }
    const corrupt = ownHeadProblem(at)
    if (corrupt)
      return { replica: await breakReplica(sql, page.nodeId, 'chain_broken', corrupt), applied: 0 }
    const decided = decide(replica.cursor, page.events)
    if ('reason' in decided) {
      const broken = await breakReplica(sql, page.nodeId, decided.reason, decided.message)
      return { replica: broken, applied: 0 }
    }
    try {
      const stored = await write(sql, page, decided, at.held, new Date().toISOString())
      return { replica: stored, applied: page.events.length }
    } catch (err) {
      // Rows that chain and hash, and still break a rule the tables keep (goods returned that
      // were never sent, say): the owner's ledger is not one this node can hold. Its page was
      // rolled back; the replica stops, saying why, rather than asking for it again for ever.
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT') throw err
      const why = `a row of the page breaks a rule of the ledger's tables (${(err as Error).message}); nothing of the page was applied`
      return { replica: await breakReplica(sql, page.nodeId, 'chain_broken', why), applied: 0 }
    }
  })
}

const NOT_MENDED = '; not mended: '

/**
 * A broken replica made to follow its owner again from its cursor (replicas.mend), unless its own
 * last rows no longer check out on this disk: then it stays broken.
 */
export async function mendOne(db: Knex, p: Payload<'replicas.mend'>): Promise<Replica> {
  return withSql(db, async (sql) => {
    const replica = await getReplica(sql, p.nodeId)
    if (replica.state !== 'broken') return replica
    if (!same(replica.cursor, p.cursor)) {
      throw new DomainError(
        'CONFLICT',
        `The replica of ${replica.name || p.nodeId} stands at event ${replica.cursor.events}, not ${p.cursor.events}: it is not mended from there`,
        { cursor: replica.cursor }
      )
    }
    // Found before not to check out on this disk: it stays broken, and is not verified again.
    if (replica.lastError?.includes(NOT_MENDED)) return replica
    // Its own rows first: a replica its own disk broke stays broken, whatever its owner holds.
    // Its last rows, then all of them: a row changed further back (what a verify broke it for)
    // would be built on, and the verify's finding undone.
    const head = await headRows(sql, { table: 'replica_movements', nodeId: p.nodeId })
    if (ownHeadProblem({ replica, head, held: [] })) return replica
    const check = await verifyReplica(db, { nodeId: p.nodeId })
    if (!check.ok) {
      const [found] = check.differences
      const said = replica.lastError?.includes(NOT_MENDED) ?? false
      const message = `${replica.lastError ?? replica.reason}${NOT_MENDED}verify finds ${found.message} on this node's disk (reseed it)`
      if (!said) {
        await sql.run('UPDATE replicas SET last_error = ? WHERE node_id = ?', [message, p.nodeId])
      }
      return getReplica(sql, p.nodeId)
    }
    await sql.run(
      `UPDATE replicas SET state = 'catching_up', reason = NULL, last_error = NULL, updated_at = ?
       WHERE node_id = ? AND state = 'broken'`,
      [new Date().toISOString(), p.nodeId]
    )
    return getReplica(sql, p.nodeId)
  })
}

/**
 * Drops a replica whole, to be pulled afresh (replicas.reseed). Its rows are append-only: the
 * triggers let this one transaction delete them, naming the replica in node_settings while it
 * does (migrations/20270125100000_replica_reseed.ts).
 */
export async function reseedOne(
  db: Knex,
  { nodeId }: Payload<'replicas.reseed'>
): Promise<Result<'replicas.reseed'>> {
  return withSql(db, async (sql) => {
    const was = await getReplica(sql, nodeId)
    if (was.state !== 'broken') {
      throw new DomainError(
        'CONFLICT',
        `The replica of ${was.name || nodeId} is ${was.state.replace('_', ' ')}, not broken: nothing to reseed (it follows its owner as it is)`,
        [{ path: 'nodeId', message: `its replica is ${was.state}, not broken` }]
      )
    }
    const count = async (table: string) =>
      (
        await sql.all<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE node_id = ?`, [
          nodeId,
        ])
      )[0].n
    const dropped = {
      events: await count('replica_events'),
      movements: await count('replica_movements'),
      was,
    }
    await sql.script(
      [
        [
          `INSERT INTO node_settings (key, value) VALUES ('reseeding', ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          [nodeId],
        ],
        ['DELETE FROM replica_events WHERE node_id = ?', [nodeId]],
        ['DELETE FROM replica_movements WHERE node_id = ?', [nodeId]],
        ['DELETE FROM replica_balances WHERE node_id = ?', [nodeId]],
        ['DELETE FROM replica_items WHERE node_id = ?', [nodeId]],
        ['DELETE FROM replicas WHERE node_id = ?', [nodeId]],
        ["DELETE FROM node_settings WHERE key = 'reseeding'"],
      ],
      { savepoint: true }
    )
    return { nodeId, dropped }
  })
}

/** Breaks a replica from outside a page (the owner said the cursor forked). */
export async function breakOne(db: Knex, p: Payload<'replicas.break'>): Promise<Replica> {
  return withSql(db, async (sql) => {
    await ensureReplica(sql, p.nodeId)
    return breakReplica(sql, p.nodeId, p.reason, p.message)
  })
}
