// Hand-written SQL on the connection knex holds, for the few hottest paths (one stock read, a
// batch of receipts). Profiling showed the cost of a query through knex + sqlite3 was knex's own
// machinery (query builder, pool acquire/release, snake-case mapping of every row, promise
// chains: ~130 µs per query) far more than SQLite (~5 µs); here a whole batch of envelopes costs
// a few statements, each one trip to node-sqlite3's thread pool. Everything else stays on knex
// and objection.
import type { Knex } from 'knex'

interface SqliteConnection {
  all(sql: string, params: unknown[], done: (err: Error | null, rows: unknown[]) => void): void
  run(sql: string, params: unknown[], done: (err: Error | null) => void): void
}

interface ConnectionClient {
  acquireConnection(): Promise<SqliteConnection>
  releaseConnection(connection: SqliteConnection): Promise<unknown>
}

/** Statements on the connection of `db`: inside a transaction, the transaction's own. */
export interface Sql {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>
  run(sql: string, params?: unknown[]): Promise<void>
}

/**
 * Runs `fn` with the raw sqlite3 connection of `db`. A transaction's client always hands out its
 * own connection (and releasing it is a no-op), so these statements join the transaction; outside
 * one, the pool's single connection is held for the duration of `fn`.
 */
export async function withSql<T>(db: Knex, fn: (sql: Sql) => Promise<T>): Promise<T> {
  const client = db.client as unknown as ConnectionClient
  const connection = await client.acquireConnection()
  const sql: Sql = {
    all: (text, params = []) =>
      new Promise((resolve, reject) =>
        connection.all(text, params, (err, rows) => (err ? reject(err) : resolve(rows as never)))
      ),
    run: (text, params = []) =>
      new Promise((resolve, reject) =>
        connection.run(text, params, (err) => (err ? reject(err) : resolve()))
      ),
  }
  try {
    return await fn(sql)
  } finally {
    await client.releaseConnection(connection)
  }
}

let savepoints = 0

/**
 * Runs `fn` inside a SAVEPOINT: if it throws, everything it wrote is undone and the error is
 * rethrown, while the enclosing transaction goes on.
 */
export async function inSavepoint<T>(sql: Sql, fn: () => Promise<T>): Promise<T> {
  const name = `run_${++savepoints}`
  await sql.run(`SAVEPOINT ${name}`)
  try {
    const result = await fn()
    await sql.run(`RELEASE ${name}`)
    return result
  } catch (err) {
    await sql.run(`ROLLBACK TO ${name}`)
    await sql.run(`RELEASE ${name}`)
    throw err
  }
}

/**
 * Rows per statement of many. Exactly SQLite's limit for knex's multi-row INSERT, which it writes
 * as `INSERT … SELECT … UNION ALL SELECT …`, one term per row: SQLite takes at most 500 terms in a
 * compound SELECT (SQLITE_MAX_COMPOUND_SELECT; 501 rows fail, tried). Do not raise it.
 */
export const ROWS_PER_STATEMENT = 500

/** `items` in parts of at most ROWS_PER_STATEMENT, in order: one statement each. */
export function inParts<T>(items: T[]): T[][] {
  return Array.from({ length: Math.ceil(items.length / ROWS_PER_STATEMENT) }, (_, i) =>
    items.slice(i * ROWS_PER_STATEMENT, (i + 1) * ROWS_PER_STATEMENT)
  )
}
