// One SQLite file opened apart from the worker's connection (node-sqlite3, in its thread pool):
// the source of a backup copy, read-only, and the copy itself while it is stamped and read.
import sqlite3 from 'sqlite3'

/** node-sqlite3's Backup, which its type declarations leave out. */
interface SqliteBackup {
  step(pages: number, done: (err: Error | null) => void): void
  finish(done?: (err: Error | null) => void): void
  readonly completed: boolean
  readonly failed: boolean
}

export class SqliteFile {
  private constructor(private readonly db: sqlite3.Database) {}

  static open(file: string, mode: 'read' | 'write'): Promise<SqliteFile> {
    const flags = mode === 'read' ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(file, flags, (err) =>
        err ? reject(err) : resolve(new SqliteFile(db))
      )
    })
  }

  all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) =>
      this.db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[])))
    )
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.db.exec(sql, (err) => (err ? reject(err) : resolve()))
    )
  }

  /**
   * Copies the whole database into `destination` with SQLite's online backup API, as of one
   * commit: a read transaction held across the steps pins the snapshot (the worker's writes, on
   * its own connection, go on beside it in the WAL and do not restart the copy). Each step copies
   * `pages` pages in the thread pool, then waits three times as long as the step took, so that
   * the copy takes at most about a quarter of one core from the node serving meanwhile.
   */
  async copyTo(destination: string, pages = 256): Promise<void> {
    await this.exec('BEGIN')
    try {
      await this.all('SELECT count(*) FROM sqlite_master') // the read transaction starts here
      const backup = (this.db as unknown as { backup(file: string): SqliteBackup }).backup(
        destination
      )
      try {
        while (!backup.completed) {
          const started = performance.now()
          await new Promise<void>((resolve, reject) =>
            backup.step(pages, (err) => (err ? reject(err) : resolve()))
          )
          if (backup.failed) throw new Error('the backup step failed')
          const took = performance.now() - started
          if (!backup.completed) await new Promise((resolve) => setTimeout(resolve, 3 * took))
        }
      } finally {
        await new Promise<void>((resolve) => backup.finish(() => resolve()))
      }
    } finally {
      await this.exec('COMMIT')
    }
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())))
  }
}
