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
      // On lines of their own: a statement that ends in a comment cannot swallow the `;`.
      const join = (parts: string[]) => parts.join('\n;\n')
      if (!savepoint) return exec(join(texts))
      const name = `script_${++savepoints}`
      try {
        await exec(join([`SAVEPOINT ${name}`, ...texts, `RELEASE ${name}`]))
      } catch (err) {
        // Stopped at the failing statement: what ran before it is undone, the savepoint closed.
        // If the failure ended the whole transaction, the savepoint went with it: its error is
        // the one to tell.
        await exec(`ROLLBACK TO ${name}; RELEASE ${name}`).catch(() => undefined)
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

/**
 * A value as an SQL literal, stored as node-sqlite3 would bind it: null and undefined as NULL,
 * a boolean as 1 or 0, a number that is a 32-bit integer as an INTEGER and any other as a REAL,
 * text as text. Whole numbers are exact; SQLite's reading of a decimal fraction may differ from
 * the bound double in its last bit, and none of our writes carries one.
 */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} cannot be stored as a number`)
    // Parenthesised: a negative after a minus (`-?`) must not become a comment (`--1`).
    const signed = (text: string) => (text.startsWith('-') ? `(${text})` : text)
    if (value === (value | 0)) return signed(String(value | 0))
    // A whole number read as an integer is exact, and so is its cast to a REAL.
    if (Number.isSafeInteger(value)) return `CAST(${signed(String(value))} AS REAL)`
    const text = String(value)
    return signed(/[.e]/.test(text) ? text : `${text}.0`)
  }
  if (typeof value === 'string') {
    // exec reads the script as C text, ended by a NUL: such a text goes as its bytes.
    if (value.includes('\0')) return `CAST(X'${Buffer.from(value).toString('hex')}' AS TEXT)`
    return `'${value.replaceAll("'", "''")}'`
  }
  throw new Error(`a ${typeof value} cannot go in a script`)
}

/** Where each quoted part of SQL text ends: its closing character. */
const CLOSING: Record<string, string> = { "'": "'", '"': '"', '`': '`', '[': ']' }

/**
 * `text` with its parameters written in as literals, numbered as SQLite numbers them: `?N` is the
 * Nth, a bare `?` one more than the largest number given before it. The text's own quoted strings
 * and identifiers, and its comments, are copied as they are; named parameters are refused.
 */
export function inline(text: string, params: readonly unknown[]): string {
  let out = ''
  let largest = 0
  let i = 0
  const copyTo = (end: number) => {
    out += text.slice(i, end)
    i = end
  }
  while (i < text.length) {
    const c = text[i]
    if (c in CLOSING) {
      const end = text.indexOf(CLOSING[c], i + 1)
      if (end < 0) throw new Error(`an unterminated ${c} in: ${text}`)
      // A doubled quote inside stays inside: the loop comes back to it as the next opening.
      copyTo(end + 1)
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i)
      copyTo(end < 0 ? text.length : end)
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      if (end < 0) throw new Error(`an unterminated comment in: ${text}`)
      copyTo(end + 2)
    } else if (c === '?') {
      const digits = /^\d*/.exec(text.slice(i + 1))?.[0] ?? ''
      const number = digits ? Number(digits) : largest + 1
      if (number < 1 || number > params.length) {
        throw new Error(`parameter ${number} of ${params.length} in: ${text}`)
      }
      largest = Math.max(largest, number)
      out += literal(params[number - 1])
      i += 1 + digits.length
    } else if ((c === ':' || c === '@' || c === '$') && /[A-Za-z_]/.test(text[i + 1] ?? '')) {
      throw new Error(`a named parameter (${c}…) cannot go in a script: ${text}`)
    } else {
      out += c
      i++
    }
  }
  if (largest !== params.length) {
    throw new Error(`${params.length} parameters for ${largest} places in: ${text}`)
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
