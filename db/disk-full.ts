// A disk out of space, as the worker last met it: SQLite's SQLITE_FULL on a write, until the
// worker's probe (a write of its own that needs two free pages) commits. Writes fail meanwhile
// (507 DISK_FULL, nothing applied); GET /health says so.

import type { Knex } from 'knex'
import type { Logger } from 'pino'
import { setSetting } from './node-settings.ts'
import { withSql } from './sql.ts'

let full: { since: string; message: string } | null = null
/** A batch's writes committed while the flag was up, since the last probe began. */
let wroteWhileFull = false

/**
 * How often a run of writes refused for want of space is logged: the first at once, then a line
 * at most this often with how many were refused since (each was a line, 1,722 in 8 s, on a disk
 * with no room for them).
 */
export const DISK_FULL_LOG_EVERY_MS = 60_000
const told = { at: -Infinity, refused: 0 }

/** Logs a write refused for want of space, as DISK_FULL_LOG_EVERY_MS says. */
export function logDiskFull(log: Logger, fields: Record<string, unknown>, what: string): void {
  told.refused++
  const now = performance.now()
  if (now - told.at < DISK_FULL_LOG_EVERY_MS) return
  const refused = told.refused
  Object.assign(told, { at: now, refused: 0 })
  const since = refused > 1 ? ` (${refused} refused so since the last such line)` : ''
  log.error({ ...fields, refused }, `${what}: the disk is full${since}`)
}

/** Whether `err` is SQLite's "database or disk is full". */
export function isDiskFull(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown }
  return code === 'SQLITE_FULL' || /\bSQLITE_FULL\b/.test(String(message ?? ''))
}

/** What a write refused for want of space answers (and is never kept under its key). */
const DISK_FULL_MESSAGE =
  'The disk that holds the database is full: nothing was applied. Free space on it, then send the same request again'

/**
 * A write failed for want of space: noted from the first such failure until the probe commits,
 * and the wire error its caller gets.
 */
export function diskFullError() {
  full ??= { since: new Date().toISOString(), message: DISK_FULL_MESSAGE }
  return { code: 'DISK_FULL' as const, message: DISK_FULL_MESSAGE }
}

/** The probe committed: there is space again. */
export function noteRoom(): void {
  full = null
  wroteWhileFull = false
  told.at = -Infinity // a new run of refusals is said at once
}

/**
 * A batch committed changes, none refused, while the flag was up. It does not end the flag: a
 * small write (an ack, a setting) fits in a page with room where a movement does not, and ending
 * the flag on it told /health "ok" while receipts were still refused, until the next refusal set
 * it again. It cues the probe (db/disk-probe.ts), which ends the flag if it fits.
 */
export function noteWroteWhileFull(): void {
  if (full) wroteWhileFull = true
}

/** Whether a write committed while the flag was up since the last probe began: the probe's cue. */
export function wroteSinceProbe(): boolean {
  return wroteWhileFull
}

/** A probe begins (db/disk-probe.ts): what committed before it is what it answers for. */
export function probeBegins(): void {
  wroteWhileFull = false
}

/** Since when writes have failed for want of space, if they do. */
export function diskFull(): { since: string; message: string } | null {
  return full
}

/** What the probe writes, and takes away in the same transaction: two overflow pages' worth. */
export const PROBE_BYTES = 8192

/**
 * A write nobody asked for, to learn whether the disk has room again: its commit ends the flag,
 * and nothing else does.
 * Besides the time in node_settings, a row of PROBE_BYTES deleted before the commit: it needs two
 * pages new or free (on 4 KiB pages), which it leaves free for the next writes. The time alone
 * fitted in a page with room where a movement did not, and ended the flag while receipts were
 * still refused. It is not a measure of a movement's room: one may need more pages (a long note,
 * a large transfer, a batch), and on a real disk what a write needs is room in the WAL for every
 * page it changes, so the flag can still end while some writes are refused (each sets it again).
 * Never throws.
 */
export async function probeForRoom(knex: Knex, log: Logger): Promise<void> {
  try {
    await knex.transaction((trx) =>
      withSql(trx, async (sql) => {
        await setSetting(sql, 'disk_room_probe', 'x'.repeat(PROBE_BYTES))
        await sql.run('DELETE FROM node_settings WHERE key = ?', ['disk_room_probe'])
        await setSetting(sql, 'disk_checked_at', new Date().toISOString())
      })
    )
    noteRoom()
    log.info('the disk has room again: a write committed')
  } catch (err) {
    // A failed COMMIT leaves SQLite's transaction open (db/batch.ts): ended here.
    await knex.raw('ROLLBACK').catch(() => undefined)
    if (!isDiskFull(err)) log.warn({ err }, 'the disk could not be checked for room')
  }
}
