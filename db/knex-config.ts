import { fileURLToPath } from 'node:url'
import path from 'node:path'
import type { Knex } from 'knex'
import objection from 'objection'
import Sqlite3Dialect from 'knex/lib/dialects/sqlite3/index.js'
import { CompiledMigrations } from './compiled-migrations.ts'
import { queryKept } from './sql.ts'
import { refuseLossyRollback } from './migration-guard.ts'
import { DATABASE_FILE_NAME } from './settings.ts'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url))
/** True when running the built JavaScript (dist/), false when tsx runs the TypeScript. */
const BUILT = import.meta.url.endsWith('.js')

/** Where a node keeps its database inside its data directory. */
export function databaseFile(dataDir: string): string {
  return path.join(path.resolve(dataDir), DATABASE_FILE_NAME)
}

// Set on every new connection: WAL lets readers run beside the writer, synchronous=FULL makes a
// commit durable before it returns (a 2xx means on disk), and foreign keys are off by default.
const PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA synchronous = FULL',
  'PRAGMA busy_timeout = 5000',
  'PRAGMA foreign_keys = ON',
  'PRAGMA temp_store = MEMORY',
].join('; ')

interface SqliteConnection {
  exec(sql: string, done: (err: Error | null) => void): void
}

/** A query as knex hands it to its dialect: its text, its bindings, what kind of query it is. */
interface KnexQuery {
  sql: string
  bindings?: unknown[]
  method?: string
  returning?: unknown
  response?: unknown
  context?: unknown
}

/**
 * knex's sqlite3 dialect, its queries run on statements each connection keeps compiled
 * (db/sql.ts): node-sqlite3's Database#all and #run compile the text, run it and finalize it, three
 * trips to its thread pool and a compile of every trigger the statement fires, for each query.
 * Measured here (a WAL file, median of 3,000): a knex select 0.078 ms, 0.050 with the statements
 * kept; an empty knex transaction (BEGIN, COMMIT) 0.26 ms, 0.16-0.19. Savepoints keep knex's way:
 * their names are new each time.
 */
class Sqlite3Kept extends (Sqlite3Dialect as unknown as new (config: Knex.Config) => {
  _query(connection: unknown, query: KnexQuery): Promise<KnexQuery>
}) {
  override _query(connection: unknown, query: KnexQuery): Promise<KnexQuery> {
    if (!query.sql || /^(SAVEPOINT|RELEASE|ROLLBACK TO) /i.test(query.sql)) {
      return super._query(connection, query)
    }
    // As knex's own dialect chooses: rows for reads and RETURNING, the statement for the rest.
    // A kept statement run once and left with a row to give would stay open (and hold COMMIT
    // back): any text that returns rows is read to its end.
    const { method } = query
    const run =
      (((method === 'insert' || method === 'update') && !query.returning) ||
        method === 'counter' ||
        method === 'del') &&
      !/\breturning\b/i.test(query.sql)
    return queryKept(connection, query.sql, run ? 'run' : 'all', query.bindings ?? []).then(
      ({ response, context }) => Object.assign(query, { response, context })
    )
  }
}

function migrationsConfig(): Knex.MigratorConfigWithLifecycleHooks {
  return {
    ...(BUILT
      ? { migrationSource: new CompiledMigrations(MIGRATIONS_DIR) }
      : { directory: MIGRATIONS_DIR, extension: 'ts', loadExtensions: ['.ts'] }),
    // A rollback that would drop the ledger, the node's identity… is refused before it starts.
    beforeAll: refuseLossyRollback,
  }
}

/**
 * The one knex configuration, shared by the worker, the knex CLI (knexfile.js) and the tests.
 * `filename` is a path or ':memory:'.
 */
export function knexConfig(filename: string): Knex.Config {
  return {
    client: Sqlite3Kept as unknown as typeof Knex.Client,
    connection: { filename },
    useNullAsDefault: true,
    // One connection: the worker is the only writer, and SQLite serialises writers anyway.
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
        conn.exec(PRAGMAS, (err) => done(err, conn))
      },
    },
    // The default (60 s) hides the pool-of-one trap: a query outside its transaction waits forever.
    acquireConnectionTimeout: 10_000,
    migrations: migrationsConfig(),
    ...objection.knexSnakeCaseMappers(),
  }
}
