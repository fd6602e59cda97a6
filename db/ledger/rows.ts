// Reading the ledger for a verify, fast: hand-written SQL on the raw connection (see db/sql.ts),
// one JSON text per page of rows, and for each row the text it is hashed over, built by SQLite.
// Through knex and objection's mappers a verify cost ~10 µs a row; this costs about half.
import type * as C from '../contract/index.ts'
import type { Sql } from '../sql.ts'
import { HASHED_JSON_SQL, hashMovement, sha256, type LedgerHead } from './hash.ts'
import { MOVEMENT_ROW } from './row.ts'
import type { BalanceRow, VerifiedRow } from './verify.ts'

type PageRow = [
  hashed: string,
  seq: number,
  sku: string,
  delta: number,
  after: number,
  prev: string,
  hash: string,
]

/**
 * Which ledger rows to read: this node's own (`movements`), or its replica of a peer's
 * (`replica_movements` of one node id), which have the same columns.
 */
export interface RowSource {
  table: 'movements' | 'replica_movements'
  nodeId?: string
}

export const OWN_LEDGER: RowSource = { table: 'movements' }

/** `WHERE …` over a source's rows, and its parameters. */
export function whereOf(source: RowSource): { where: string; params: unknown[] } {
  return source.nodeId === undefined
    ? { where: '', params: [] }
    : { where: 'node_id = ? AND', params: [source.nodeId] }
}

const pageSql = (source: RowSource) => `SELECT json_group_array(json_array(${HASHED_JSON_SQL},
    seq, sku, delta, balance_after, prev_hash, hash) ORDER BY seq) AS page
  FROM (SELECT * FROM ${source.table} WHERE ${whereOf(source).where} seq > ? AND seq <= ?
    ORDER BY seq LIMIT ?)`
const PAGE_SQL = pageSql(OWN_LEDGER)

/** The rows after seq `after`, up to seq `upTo`, at most `limit` of them, in seq order. */
export async function readRows(
  sql: Sql,
  after: number,
  upTo: number,
  limit: number,
  source: RowSource = OWN_LEDGER
): Promise<VerifiedRow[]> {
  let page: PageRow[]
  const { params } = whereOf(source)
  try {
    const query = source === OWN_LEDGER ? PAGE_SQL : pageSql(source)
    const [{ page: text }] = await sql.all<{ page: string }>(query, [...params, after, upTo, limit])
    page = JSON.parse(text)
  } catch {
    // A value JSON cannot hold (a BLOB written behind the node's back): read the rows as they are.
    return slowRows(sql, after, upTo, limit, source)
  }
  const rows: VerifiedRow[] = new Array(page.length)
  for (let i = 0; i < page.length; i++) {
    const [hashed, seq, sku, delta, balanceAfter, prevHash, hash] = page[i]
    let computed = sha256(hashed)
    // Never call a row changed on SQLite's JSON text alone: recompute it the way it was written.
    if (computed !== hash)
      computed = (await slowRows(sql, seq - 1, seq, 1, source))[0]?.computed ?? computed
    rows[i] = { seq, sku, delta, balanceAfter, prevHash, hash, computed }
  }
  return rows
}

/** A row read whole, with the hash it re-hashes to. */
export function verified({ hash, ...fields }: C.Movement): VerifiedRow {
  return { ...fields, hash, computed: hashMovement(fields) }
}

async function slowRows(
  sql: Sql,
  after: number,
  upTo: number,
  limit: number,
  source: RowSource = OWN_LEDGER
) {
  const { where, params } = whereOf(source)
  const rows = await sql.all<C.Movement>(
    `SELECT ${MOVEMENT_ROW.select} FROM ${source.table} WHERE ${where} seq > ? AND seq <= ?
     ORDER BY seq LIMIT ?`,
    [...params, after, upTo, limit]
  )
  return rows.map(verified)
}

/** The last movement's seq (0 for an empty ledger). */
export async function lastSeq(sql: Sql): Promise<number> {
  const [row] = await sql.all<{ seq: number | null }>('SELECT max(seq) AS seq FROM movements')
  return row?.seq ?? 0
}

/** The last two movements, newest first, as the verifier sees them. */
export async function headRows(sql: Sql, source: RowSource = OWN_LEDGER): Promise<VerifiedRow[]> {
  const { where, params } = whereOf(source)
  const rows = await sql.all<C.Movement>(
    `SELECT ${MOVEMENT_ROW.select} FROM ${source.table} WHERE ${where} true
     ORDER BY seq DESC LIMIT 2`,
    params
  )
  return rows.map(verified)
}

/** What the head anchor records (undefined if its row is gone). */
export async function readAnchor(sql: Sql): Promise<LedgerHead | undefined> {
  return (await sql.all<LedgerHead>('SELECT seq, hash FROM ledger_head WHERE id = 1'))[0]
}

export function readBalances(sql: Sql): Promise<BalanceRow[]> {
  return sql.all<BalanceRow>('SELECT sku, on_hand AS onHand, last_seq AS lastSeq FROM balances')
}
