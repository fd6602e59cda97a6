/**
 * What the runtime tells its database worker, once, as it starts it: the worker's part of the
 * node's configuration (parsed in runtime/config.ts), sent as the first message on the IPC
 * channel (runtime/worker-supervisor.ts). The worker reads no environment variable of its own.
 */
export interface WorkerSettings {
  /** Where the database lives (almacen.sqlite in it). */
  dataDir: string
  /**
   * The warehouse's name, when given (--name): it replaces the stored one. Without, the stored
   * name stands, and a new database takes the host name.
   */
  name?: string
  /** The ZeroMQ endpoint to bind, ipc://… */
  endpoint: string
  logLevel: string
  /**
   * The node was started with --restore: a database opened for the first time records the ask
   * before anything else is made in it (db/ledger/restore.ts askRestoreOnFirstOpen).
   */
  restore?: boolean
}

/** The database's file in a node's data directory (db/knex-config.ts databaseFile). */
export const DATABASE_FILE_NAME = 'almacen.sqlite'

/** The runtime's first message to the worker. */
export interface StartMessage {
  type: 'start'
  settings: WorkerSettings
}

/**
 * Set to 1 to let a rollback drop tables that hold rows (db/migration-guard.ts): read by the knex
 * CLI, which takes no flags of ours, and listed in the node's --help.
 */
export const ALLOW_DATA_LOSS = 'ALMACEN_ALLOW_DATA_LOSS'
