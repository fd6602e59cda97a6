// The one store of exactly-once records: for every key already used, the outcome it had (a success
// or a refusal) and the fingerprint of what was asked, kept for ever like the ledger. A `scope`
// says whose keys they are: `request` for the Idempotency-Key of HTTP requests; the message ids of
// each peer will have their own scope (the inbox of transfers), so a client's key can never stand
// in for a peer's message. Each read or write is one statement, for one key or a whole run.
import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import type { Outcome } from './outcome.ts'
import { withSql, type Sql } from './sql.ts'

/** The scope of HTTP requests' Idempotency-Keys. */
export const REQUEST_SCOPE = 'request'

/** JSON with keys sorted, so the same request always has the same fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * What a retry must repeat exactly: the operation, its payload, and who asks (`actor`, when a
 * token's user or a peer asks). A key is its user's own: another user who sends it, even with the
 * same body, is refused as a different request, never given the first user's answer (nor is the
 * write applied under the first user's name).
 */
export function fingerprint(op: string, payload: unknown, actor?: string): string {
  const hash = createHash('sha256').update(op).update('\n').update(canonical(payload))
  if (actor !== undefined) hash.update('\n').update(actor)
  return hash.digest('hex')
}

export interface Remembered {
  fingerprint: string
  outcome: Outcome
}

/** A key's record, to store: the key, what used it, and the outcome to replay. */
export interface KeyRecord extends Remembered {
  key: string
  op: string
}

/**
 * Whether an outcome is kept under its key. A fault (INTERNAL, DISK_FULL) is not: nothing was
 * applied, and a retry must run. Nor is a write refused while the ledger is halted: a retry after
 * an admin has acted must apply.
 */
export function storable(outcome: Outcome): boolean {
  return outcome.ok || !NOT_KEPT.has(outcome.error.code)
}

const NOT_KEPT = new Set(['INTERNAL', 'DISK_FULL', 'LEDGER_HALTED'])

interface KeyRow {
  key: string
  fingerprint: string
  ok: number
  result: string
}

/** The records of the keys given that were used before, by key. */
export async function loadKeys(
  sql: Sql,
  keys: readonly string[],
  scope = REQUEST_SCOPE
): Promise<Map<string, Remembered>> {
  if (keys.length === 0) return new Map()
  const rows = await sql.all<KeyRow>(
    `SELECT key, fingerprint, ok, result FROM idempotency_keys
     WHERE key IN (SELECT value FROM json_each(?)) AND scope = ?`,
    [JSON.stringify(keys), scope]
  )
  return new Map(
    rows.map((row) => {
      const stored = JSON.parse(row.result)
      const outcome: Outcome = row.ok ? { ok: true, data: stored } : { ok: false, error: stored }
      return [row.key, { fingerprint: row.fingerprint, outcome }]
    })
  )
}

/** Stores the records given; a key used before in the scope is refused (its primary key). */
export async function storeKeys(
  sql: Sql,
  records: readonly KeyRecord[],
  scope = REQUEST_SCOPE
): Promise<void> {
  if (records.length === 0) return
  const rows = records.map(({ key, op, fingerprint, outcome }) => ({
    key,
    op,
    fingerprint,
    ok: outcome.ok ? 1 : 0,
    result: JSON.stringify(outcome.ok ? outcome.data : outcome.error),
  }))
  await sql.run(
    `INSERT INTO idempotency_keys (key, scope, op, fingerprint, ok, result, created_at)
     SELECT value->>'key', ?, value->>'op', value->>'fingerprint', value->>'ok', value->>'result', ?
     FROM json_each(?)`,
    [scope, new Date().toISOString(), JSON.stringify(rows)]
  )
}

/** One key's record, if it was used before. */
export async function recall(db: Knex, key: string, scope = REQUEST_SCOPE) {
  return (await withSql(db, (sql) => loadKeys(sql, [key], scope))).get(key)
}

/** Stores one key's record. */
export async function remember(
  db: Knex,
  key: string,
  op: string,
  print: string,
  outcome: Outcome,
  scope = REQUEST_SCOPE
) {
  await withSql(db, (sql) => storeKeys(sql, [{ key, op, fingerprint: print, outcome }], scope))
}
