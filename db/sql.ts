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
  exec(sql: string, done: (err: Error | null) => void): void
}

interface ConnectionClient {
  acquireConnection(): Promise<SqliteConnection>
  releaseConnection(connection: SqliteConnection): Promise<unknown>
}

/** A statement and its parameters (`?` in order, or `?N`), for a script. */
export type Statement = readonly [text: string, params?: readonly unknown[]]

/** Statements on the connection of `db`: inside a transaction, the transaction's own. */
export interface Sql {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>
  run(sql: string, params?: unknown[]): Promise<void>
  /**
   * Runs writes whose results nobody reads in one trip to node-sqlite3's thread pool (its exec),
   * their parameters written into the text as SQL literals (`inline`) — each trip costs 60 µs on
   * an idle machine and several times that on a busy one, more than most of our statements. With
   * `savepoint`, inside a savepoint of their own, released in the same trip: if one fails, none
   * of them stays and the error is rethrown. Without, the ones before a failure stay applied.
   */
  script(statements: readonly Statement[], options?: { savepoint?: boolean }): Promise<void>
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
    script: async (statements, { savepoint = false } = {}) => {
      const texts = statements.map(([text, params = []]) => inline(text, params))
      if (texts.length === 0) return
      const exec = (text: string) =>
        new Promise<void>((resolve, reject) =>
          connection.exec(text, (err) => (err ? reject(err) : resolve()))
        )
      if (!savepoint) return exec(texts.join(';\n'))
      const name = `script_${++savepoints}`
      try {
        await exec([`SAVEPOINT ${name}`, ...texts, `RELEASE ${name}`].join(';\n'))
      } catch (err) {
        // Stopped at the failing statement: what ran before it is undone, the savepoint closed.
        await exec(`ROLLBACK TO ${name}; RELEASE ${name}`)
        throw err
      }
    },
  }
  try {
    return await fn(sql)
  } finally {
    await client.releaseConnection(connection)
  }
}

let savepoints = 0

/** A value as an SQL literal, stored as node-sqlite3 would bind it. */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} cannot be stored as a number`)
    // node-sqlite3 binds a number that is a 32-bit integer as an INTEGER, any other as a REAL.
    if (value === (value | 0)) return String(value | 0)
    const text = String(value)
    return /[.e]/.test(text) ? text : `${text}.0`
  }
  if (typeof value === 'string') {
    // exec reads the script as C text: a NUL would end it there.
    if (value.includes('\0')) throw new Error('a text with a NUL character cannot go in a script')
    return `'${value.replaceAll("'", "''")}'`
  }
  throw new Error(`a ${typeof value} cannot go in a script`)
}

/**
 * `text` with its parameters written in as literals: `?` takes the next one, `?N` the Nth. The
 * text's own quoted strings and identifiers, and comments, are copied as they are.
 */
export function inline(text: string, params: readonly unknown[]): string {
  let out = ''
  let next = 0
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (c === "'" || c === '"' || c === '`') {
      const end = text.indexOf(c, i + 1)
      if (end < 0) throw new Error(`an unterminated ${c} in: ${text}`)
      // A doubled quote inside stays inside: the loop comes back to it as the next opening.
      out += text.slice(i, end + 1)
      i = end + 1
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i)
      out += end < 0 ? text.slice(i) : text.slice(i, end)
      i = end < 0 ? text.length : end
    } else if (c === '?') {
      const digits = /^\d*/.exec(text.slice(i + 1))?.[0] ?? ''
      const index = digits ? Number(digits) - 1 : next++
      if (index < 0 || index >= params.length) {
        throw new Error(`parameter ${index + 1} of ${params.length} in: ${text}`)
      }
      out += literal(params[index])
      i += 1 + digits.length
    } else {
      out += c
      i++
    }
  }
  if (!/\?\d/.test(text) && next !== params.length) {
    throw new Error(`${params.length} parameters for ${next} places in: ${text}`)
  }
  return out
}

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
