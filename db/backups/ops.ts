// Backups of the node's database (POST /backup, and the schedule): a consistent copy taken while
// the node serves, into <dataDir>/backups/ under a name the node chooses. The copy runs on its own
// read-only connection (db/backups/file.ts); these operations only start it and report on it, so
// the worker's loop is never held by it.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Knex } from 'knex'
import { BACKUP_NAME } from '../contract/index.ts'
import type * as C from '../contract/index.ts'
import { isDiskFull } from '../disk-full.ts'
import { DomainError } from '../domain-error.ts'
import { syncDirectory } from '../../lib/private-file.ts'
import { EMPTY_LEDGER } from '../ledger/hash.ts'
import { SqliteFile } from './file.ts'
import { BACKUP_STAMP } from '../ledger/state.ts'
import { withSql } from '../sql.ts'
import { tellEverythingAgain } from '../transfers/rebuild.ts'

/** Finished jobs remembered for `backups.status`, besides the one running. */
const REMEMBERED = 20

/** The jobs of each database file (one worker, one file; tests open several). */
const jobs = new Map<string, { running: boolean; byName: Map<string, C.BackupJob> }>()

async function databaseFile(db: Knex): Promise<string> {
  const [{ file }] = await db.raw(`SELECT file FROM pragma_database_list WHERE name = 'main'`)
  if (!file) throw new DomainError('CONFLICT', 'An in-memory database has no file to back up')
  return file as string
}

/** The folder of the backups of database `file`, in its data directory. */
function backupsDir(file: string): string {
  return path.join(path.dirname(file), 'backups')
}

/** True for a name the node could have given a backup: nothing else is read or served. */
function isBackupName(name: string): boolean {
  return BACKUP_NAME.test(name)
}

export async function start(
  db: Knex,
  { scheduled, keep }: C.Payload<'backups.start'>
): Promise<C.BackupJob> {
  const file = await databaseFile(db)
  const own = jobs.get(file) ?? { running: false, byName: new Map<string, C.BackupJob>() }
  jobs.set(file, own)
  if (own.running) throw new DomainError('CONFLICT', 'A backup is being taken already: wait for it')
  const startedAt = new Date().toISOString()
  const name = `${scheduled ? 'scheduled' : 'backup'}-${startedAt.replace(/[:.]/g, '-')}.sqlite`
  const job: C.BackupJob = { name, state: 'running', startedAt }
  own.running = true
  own.byName.set(name, job)
  for (const old of [...own.byName.keys()].slice(0, -REMEMBERED)) own.byName.delete(old)
  const began = performance.now()
  void take(file, name, { scheduled, startedAt })
    .then(async (backup) => {
      Object.assign(job, { state: 'done', backup })
      if (scheduled && keep) await prune(backupsDir(file), keep)
    })
    .catch((err: Error) => Object.assign(job, failedJob(err)))
    .finally(() => {
      job.ms = Math.round(performance.now() - began)
      own.running = false
    })
  return { ...job }
}

/** What a backup that threw says of itself: why, and whether for want of space. */
export function failedJob(err: Error): Pick<C.BackupJob, 'state' | 'message' | 'diskFull'> {
  const full = isDiskFull(err) || (err as NodeJS.ErrnoException).code === 'ENOSPC'
  return {
    state: 'failed',
    message: `The backup failed: ${err.message}`,
    ...(full && { diskFull: true as const }),
  }
}

/** Copies, stamps and only then names the copy: a listed backup is always a finished one. */
async function take(
  file: string,
  name: string,
  { scheduled, startedAt }: { scheduled: boolean; startedAt: string }
): Promise<C.Backup> {
  const dir = backupsDir(file)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // A copy cut short by a stop or a crash is left half-written: none runs now, so they go.
  for (const left of (await readdir(dir)).filter((n) => n.endsWith('.partial'))) {
    await rm(path.join(dir, left), { force: true })
  }
  const partial = path.join(dir, `${name}.partial`)
  try {
    const source = await SqliteFile.open(file, 'read')
    try {
      await source.copyTo(partial)
    } finally {
      await source.close()
    }
    const copy = await SqliteFile.open(partial, 'write')
    let stamp: Omit<C.Backup, 'bytes'>
    try {
      // One file to carry away: no WAL beside it (a node started on it goes back to WAL).
      await copy.exec('PRAGMA journal_mode = DELETE')
      const [row] = await copy.all<{
        seq: number | null
        hash: string | null
        events: number
        id: string | null
      }>(
        `SELECT (SELECT seq FROM movements ORDER BY seq DESC LIMIT 1) AS seq,
           (SELECT hash FROM movements ORDER BY seq DESC LIMIT 1) AS hash,
           (SELECT coalesce(max(seq), 0) FROM events) AS events,
           (SELECT value FROM node_settings WHERE key = 'id') AS id`
      )
      const head = row.seq === null ? EMPTY_LEDGER : { seq: row.seq, hash: row.hash as string }
      stamp = {
        name,
        head,
        events: row.events,
        nodeId: row.id ?? '',
        takenAt: startedAt,
        scheduled,
      }
      await copy.all(
        `INSERT INTO node_settings (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [BACKUP_STAMP, JSON.stringify(stamp)]
      )
    } finally {
      await copy.close()
    }
    const target = path.join(dir, name)
    await rename(partial, target)
    // Its name too lasts through a power cut: a backup answered 201 is one the node still lists.
    // Where the directory cannot be synced (some mounts refuse it) the copy is whole and named
    // all the same: it is not called failed for that, nor left out of pruning.
    await syncDirectory(dir).catch(() => undefined)
    return { ...stamp, bytes: (await stat(target)).size }
  } catch (err) {
    await rm(partial, { force: true })
    throw err
  }
}

/** Removes the oldest scheduled backups beyond `keep`; those taken by hand are left alone. */
async function prune(dir: string, keep: number): Promise<void> {
  const scheduled = (await readdir(dir)).filter(
    (n) => isBackupName(n) && n.startsWith('scheduled-')
  )
  // The names hold the time they were taken, so their order is the time's.
  for (const old of scheduled.sort().slice(0, -keep)) {
    await rm(path.join(dir, old), { force: true })
  }
}

export async function status(
  db: Knex,
  { name }: C.Payload<'backups.status'>
): Promise<C.BackupJob> {
  const job = jobs.get(await databaseFile(db))?.byName.get(name)
  if (!job) throw new DomainError('NOT_FOUND', `No backup named ${name} was started by this worker`)
  return { ...job }
}

/** The stamp a backup file carries, with its size; null for a file that is not one. */
async function readBackup(file: string): Promise<C.Backup | null> {
  let copy: SqliteFile | undefined
  try {
    copy = await SqliteFile.open(file, 'read')
    const [row] = await copy.all<{ value: string }>(
      'SELECT value FROM node_settings WHERE key = ?',
      [BACKUP_STAMP]
    )
    if (!row) return null
    return { ...(JSON.parse(row.value) as C.Backup), bytes: (await stat(file)).size }
  } catch {
    return null
  } finally {
    await copy?.close()
  }
}

export async function list(db: Knex): Promise<C.Backup[]> {
  const dir = backupsDir(await databaseFile(db))
  const names = await readdir(dir).catch(() => [] as string[])
  const found = await Promise.all(
    names.filter(isBackupName).map((name) => readBackup(path.join(dir, name)))
  )
  return found
    .filter((b): b is C.Backup => b !== null)
    .sort((a, b) => b.takenAt.localeCompare(a.takenAt))
}

/** The stamp of the backup this database was put back from, until it caught up (or settled). */
export async function origin(db: Knex): Promise<C.Backup | null> {
  const row = await db('node_settings').where({ key: BACKUP_STAMP }).first()
  return row ? (JSON.parse(row.value) as C.Backup) : null
}

/**
 * A database put back from a backup serves as it is (its peers held nothing more of its log):
 * its transfers are told again to their peers, as after a restore (its outbox is the backup's,
 * and what it took from them since is gone).
 */
export async function settle(db: Knex): Promise<{ settled: boolean }> {
  const settled = (await db('node_settings').where({ key: BACKUP_STAMP }).delete()) > 0
  if (settled) await withSql(db, tellEverythingAgain)
  return { settled }
}
