import { z } from 'zod'
import { nothing, read, write } from './descriptor.ts'

/** A consistent copy of the node's database, kept in `<dataDir>/backups/`. */
export interface Backup {
  /** The file's name in the backups folder: the node chooses it, never a caller. */
  name: string
  bytes: number
  /** The last ledger row in the copy (seq 0 and the empty hash for an empty ledger). */
  head: { seq: number; hash: string }
  /** The last event of the node's log in the copy. */
  events: number
  /** The node whose database it is. */
  nodeId: string
  takenAt: string
  /** 'scheduled' backups are kept up to the configured count; others until removed by hand. */
  scheduled: boolean
}

/** A backup being taken: `running`, then `done` with the backup, or `failed` with why. */
export interface BackupJob {
  name: string
  state: 'running' | 'done' | 'failed'
  startedAt: string
  backup?: Backup
  message?: string
  /** Failed for want of space on the disk (SQLITE_FULL, ENOSPC): the runtime answers 507. */
  diskFull?: true
  /** How long the copy took, once finished. */
  ms?: number
}

/** The names the node gives its backups: nothing else in the folder is read or served. */
export const BACKUP_NAME = /^(backup|scheduled)-[0-9TZ-]+\.sqlite$/

const name = z.string().min(1).max(200)

export const backupOps = {
  /**
   * Starts a copy of the database into the backups folder, on a connection of its own in the
   * worker's thread pool: the worker keeps serving meanwhile. CONFLICT while one runs. A
   * scheduled backup then removes the oldest scheduled ones beyond `keep`.
   */
  'backups.start': read(
    z.strictObject({ scheduled: z.boolean(), keep: z.number().int().min(1).max(10_000).optional() })
  ).returns<BackupJob>(),
  /** Where the backup `name` stands (NOT_FOUND for one this worker never started). */
  'backups.status': read(z.strictObject({ name })).returns<BackupJob>(),
  /** The finished backups in the folder, newest first. */
  'backups.list': read(nothing).returns<Backup[]>(),
  /**
   * The backup this database was put back from, while it has not caught up with what its peers
   * hold of the node (null otherwise): the runtime catches it up before it serves.
   */
  'backups.origin': read(nothing).returns<Backup | null>(),
  /**
   * Forgets that the database was put back from a backup: a node with no peer has no tail to catch
   * up. Its transfers are told again to their peers (db/transfers/rebuild.ts).
   */
  'backups.settle': write(nothing).returns<{ settled: boolean }>(),
}
