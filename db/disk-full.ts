// A disk out of space, as the worker last met it: SQLite's SQLITE_FULL on a write, until a write
// commits again. Writes fail meanwhile (507 DISK_FULL, nothing applied); GET /health says so.

let full: { since: string; message: string } | null = null

/** Whether `err` is SQLite's "database or disk is full". */
export function isDiskFull(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown }
  return code === 'SQLITE_FULL' || /\bSQLITE_FULL\b/.test(String(message ?? ''))
}

/** What a write refused for want of space answers (and is never kept under its key). */
const DISK_FULL_MESSAGE =
  'The disk that holds the database is full: nothing was applied. Free space on it, then send the same request again'

/**
 * A write failed for want of space: noted from the first such failure until a write commits, and
 * the wire error its caller gets.
 */
export function diskFullError() {
  full ??= { since: new Date().toISOString(), message: DISK_FULL_MESSAGE }
  return { code: 'DISK_FULL' as const, message: DISK_FULL_MESSAGE }
}

/** A write committed: there is space again. */
export function noteCommitted(): void {
  full = null
}

/** Since when writes have failed for want of space, if they do. */
export function diskFull(): { since: string; message: string } | null {
  return full
}
