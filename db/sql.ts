// Hand-written SQL on the connection knex holds, for the few hottest paths (one stock read, a
// batch of receipts). Profiling showed the cost of a query through knex + sqlite3 was knex's own
// machinery (query builder, pool acquire/release, snake-case mapping of every row, promise
// chains: ~130 µs per query) far more than SQLite (~5 µs); here a whole batch of envelopes costs
// a few statements, each one trip to node-sqlite3's thread pool. Everything else stays on knex
// and objection, whose queries run on the same compiled statements (queryKept, used by
// db/knex-config.ts).
import type { Knex } from 'knex'

interface SqliteConnection {
  prepare(sql: string, done: (err: Error | null) => void): Prepared
  close(done: (err: Error | null) => void): void
}

/**
 * A statement node-sqlite3 has compiled; each call binds its parameters afresh. A callback's
 * `this` is the statement, with `lastID` and `changes` after a run.
 */
interface Prepared {
  all(params: unknown[], done: (this: unknown, err: Error | null, rows: unknown[]) => void): void
  run(params: unknown[], done: (this: unknown, err: Error | null) => void): void
  finalize(done: (err: Error | null) => void): void
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
   * Runs writes whose results nobody reads, in order. With `savepoint`, inside a savepoint of
   * their own: if one fails, none of them stays and the error is rethrown. Without, the ones
   * before a failure stay applied.
   */
  script(statements: readonly Statement[], options?: { savepoint?: boolean }): Promise<void>
}

/**
 * Statements each connection keeps compiled, the least recently used dropped beyond this many.
 * Our hot statements fire triggers that SQLite compiles into them: compiling an events append
 * took 120 µs on this machine, running it compiled 5 µs (and a trip to node-sqlite3's thread
 * pool about 40 µs), so a statement is compiled once per connection, not once per use.
 */
export const PREPARED_PER_CONNECTION = 256

/**
 * The most SQL text, in characters, each connection keeps compiled, the least recently used
 * dropped beyond it; a longer text is compiled for its one use. A catch-up page's multi-row
 * inserts (tens of KiB of text each, the same few texts page after page) stay compiled: measured,
 * 31.0-32.7k rows/s caught up against 25.4-28.4k when each was compiled for its use.
 */
export const TEXT_KEPT_PER_CONNECTION = 1 << 20

/** Each connection's compiled statements, by text, most recently used last, and their length. */
interface Kept {
  statements: Map<string, Promise<Prepared>>
  length: number
}

const compiled = new WeakMap<SqliteConnection, Kept>()

/** `text` compiled anew. */
function compile(connection: SqliteConnection, text: string): Promise<Prepared> {
  return new Promise<Prepared>((resolve, reject) => {
    const compiling: Prepared = connection.prepare(text, (err) =>
      err ? reject(err) : resolve(compiling)
    )
  })
}

/** Runs `use` on `text` compiled: kept from an earlier use, or compiled now (and kept). */
async function withStatement<T>(
  connection: SqliteConnection,
  text: string,
  use: (statement: Prepared) => Promise<T>
): Promise<T> {
  if (text.length <= TEXT_KEPT_PER_CONNECTION) return use(await prepared(connection, text))
  const statement = await compile(connection, text)
  try {
    return await use(statement)
  } finally {
    await finalize(statement)
  }
}

/** The compiled `text` on `connection`, kept for its next use. */
function prepared(connection: SqliteConnection, text: string): Promise<Prepared> {
  const kept = compiled.get(connection) ?? keepCompiled(connection)
  const held = kept.statements
  let statement = held.get(text)
  if (statement)
    held.delete(text) // back in as the most recently used
  else {
    statement = compile(connection, text)
    kept.length += text.length
    // A text that does not compile is not kept: the next use says why again.
    statement.catch(() => {
      if (held.get(text) !== statement) return
      held.delete(text)
      kept.length -= text.length
    })
    for (const [oldest, dropped] of held) {
      if (held.size < PREPARED_PER_CONNECTION && kept.length <= TEXT_KEPT_PER_CONNECTION) break
      held.delete(oldest)
      kept.length -= oldest.length
      // node-sqlite3 finalizes after whatever the statement still has queued.
      void dropped.then(finalize, () => undefined)
    }
  }
  held.set(text, statement)
  return statement
}

const finalize = (statement: Prepared) =>
  new Promise<void>((resolve) => statement.finalize(() => resolve()))

/**
 * A connection's cache of compiled statements, finalized before the connection closes: SQLite
 * will not close a database that still has statements (node-sqlite3's close fails SQLITE_BUSY).
 */
function keepCompiled(connection: SqliteConnection): Kept {
  const kept: Kept = { statements: new Map(), length: 0 }
  compiled.set(connection, kept)
  const close = connection.close.bind(connection)
  connection.close = (done) => void finalizeAll(kept).then(() => close(done))
  return kept
}

/** Finalizes every statement `kept` holds, emptied now; how many there were. */
async function finalizeAll(kept: Kept): Promise<number> {
  const statements = [...kept.statements.values()]
  kept.statements.clear()
  kept.length = 0
  await Promise.all(statements.map((p) => p.then(finalize, () => undefined)))
  return statements.length
}

/**
 * Finalizes every statement `db`'s connection keeps compiled, giving their memory back (the
 * worker, idle: db/worker-loop.ts); each is compiled again at its next use. How many there were.
 */
export async function forgetCompiled(db: Knex): Promise<number> {
  const client = db.client as unknown as ConnectionClient
  const connection = await client.acquireConnection()
  try {
    const kept = compiled.get(connection)
    return kept ? await finalizeAll(kept) : 0
  } finally {
    await client.releaseConnection(connection)
  }
}

/**
 * One of knex's queries (db/knex-config.ts) on its text compiled and kept, as node-sqlite3's
 * Database#all or #run would run it (they compile the text, run it, and finalize it: three trips
 * to the thread pool, where a kept statement makes one): its rows, and the statement as the
 * context knex reads `lastID` and `changes` from.
 */
export function queryKept(
  connection: unknown,
  text: string,
  method: 'all' | 'run',
  params: unknown[]
): Promise<{ response: unknown; context: unknown }> {
  return withStatement(
    connection as SqliteConnection,
    text,
    (statement) =>
      new Promise((resolve, reject) =>
        statement[method](params, function (err: Error | null, response?: unknown) {
          if (err) reject(err)
          else resolve({ response, context: this })
        })
      )
  )
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
    all: async (text, params = []) =>
      (await queryKept(connection, text, 'all', params)).response as never,
    run: async (text, params = []) => {
      await queryKept(connection, text, 'run', params)
    },
    script: async (statements, { savepoint = false } = {}) => {
      if (statements.length === 0) return
      const runAll = async () => {
        for (const [text, params = []] of statements) await sql.run(text, [...params])
      }
      if (!savepoint) return runAll()
      await inSavepoint(sql, runAll)
    },
  }
  try {
    return await fn(sql)
  } finally {
    await client.releaseConnection(connection)
  }
}

/**
 * Runs `fn` inside a SAVEPOINT: if it throws, everything it wrote is undone and the error is
 * rethrown, while the enclosing transaction goes on.
 */
export async function inSavepoint<T>(sql: Sql, fn: () => Promise<T>): Promise<T> {
  // One name for all: SQLite's savepoints nest, and each RELEASE or ROLLBACK TO takes the most
  // recent of the name — and its three statements stay compiled.
  await sql.run('SAVEPOINT almacen')
  try {
    const result = await fn()
    await sql.run('RELEASE almacen')
    return result
  } catch (err) {
    // A failure that ended the whole transaction (a full disk, an I/O error) took the savepoint
    // with it: what comes next would run outside any transaction, each statement committed on
    // its own, so the batch must end here.
    const undone = await sql.run('ROLLBACK TO almacen').then(
      () => true,
      () => false
    )
    if (!undone) throw new TransactionLost(err)
    await sql.run('RELEASE almacen').catch(() => undefined)
    throw err
  }
}

/**
 * The transaction a savepoint was in is gone (SQLite ended it on a failure): nothing more may run
 * in the batch, whose writes are all undone; its error is the one that ended it.
 */
export class TransactionLost extends Error {
  constructor(readonly failure: unknown) {
    super(`the transaction ended on a failure: ${(failure as Error)?.message ?? failure}`)
  }
}

/**
 * Whether the batch's transaction `db` is still open. A failure SQLite answers by ending the
 * transaction (a full disk, an I/O error) may come outside any savepoint, in a read before one;
 * after it, each statement would commit on its own. A BEGIN fails inside a transaction and
 * succeeds outside one (then rolled back at once). For the failure path only: one statement more.
 */
export async function stillInTransaction(db: Knex): Promise<boolean> {
  if (!db.isTransaction) return true
  return withSql(db, async (sql) => {
    const begun = await sql.run('BEGIN').then(
      () => true,
      () => false
    )
    if (begun) await sql.run('ROLLBACK').catch(() => undefined)
    return !begun
  })
}

/** A batch's write transaction while nothing has written in it (db/batch.ts makes one per batch). */
export interface Untouched {
  untouched: boolean
}

/**
 * How a write that would hold a savepoint of its own is called. `enclosed`: it runs inside one
 * that a throw undoes already (its caller's, or asFirstWrite's transaction), so it takes none.
 */
export interface RunOptions {
  enclosed?: boolean
}

/**
 * Runs `fn`, the first write of the transaction `db`, without a savepoint: if it throws, the
 * transaction is rolled back and begun again, which undoes exactly what `fn` wrote (nothing was
 * written before it), and the error is rethrown. A batch with one write, the most common, spares
 * the two statements of a savepoint: each a trip to node-sqlite3's thread pool, 130-260 µs on this
 * machine under load.
 */
export async function asFirstWrite<T>(db: Knex, fn: (trx: Knex) => Promise<T>): Promise<T> {
  try {
    return await fn(db)
  } catch (err) {
    await withSql(db, async (sql) => {
      // A failure that ended the transaction left none to roll back: the BEGIN says whether one is.
      await sql.run('ROLLBACK').catch(() => undefined)
      // None could begin: the batch ends here, with the write's own failure as its cause.
      await sql.run('BEGIN').catch(() => {
        throw new TransactionLost(err)
      })
    })
    throw err
  }
}

/**
 * Runs `fn` inside a savepoint of the transaction `db`, as SQL on its own connection: those
 * statements stay compiled, where knex's SAVEPOINT and RELEASE cost about 100 µs each, a fifth of
 * a small write's time in the worker. `fn` gets the handle to run its statements on. Given no
 * transaction (a test's database), a knex transaction as before: holding the pool's one
 * connection here while `fn` asked knex for it would wait for ever.
 */
export function inSavepointOf<T>(db: Knex, fn: (trx: Knex) => Promise<T>): Promise<T> {
  if (!db.isTransaction) return db.transaction((trx) => fn(trx))
  return withSql(db, (sql) => inSavepoint(sql, () => fn(db)))
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
