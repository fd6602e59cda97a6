// The node's backups as the runtime sees them: one taken (the worker copies, on a connection of
// its own, while it serves), listed, read back for a download, and taken on a schedule with the
// oldest scheduled ones removed. The worker writes them into <dataDir>/backups/ under names it
// chooses; a download is read from there, by a name that must be one of those.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { Response } from '@whatwg-node/server'
import type { Logger } from 'pino'
import type { RestoreSource } from '../api/ledger.ts'
import { BACKUP_NAME, type Backup, type BackupJob, type Member } from '../db/contract/index.ts'
import { KEYRING_FILE } from '../network/index.ts'
import type { DbClient } from './db-client.ts'
import { HttpError } from './errors.ts'
import { unfailing } from './unfailing.ts'
import type { Service } from './services.ts'

/** How often a backup being taken is asked where it stands. */
const POLL_MS = 100

export interface BackupsApi {
  /** Takes a backup and resolves once it is finished (CONFLICT while another one is taken). */
  take(): Promise<Backup>
  list(): Promise<Backup[]>
  /** The backup `name` as a download (NOT_FOUND for any other name). */
  /** `cutOff` ends the connection if the file cannot be read to its end (`ctx.cutOff`). */
  download(name: string, cutOff: () => void): Promise<Response>
}

export interface BackupSchedule {
  /** Time between scheduled backups, in ms; 0: none. */
  everyMs: number
  /** Scheduled backups kept; older ones are removed. */
  keep: number
}

/** No backup taken but by hand (a configuration that names no schedule: a test's). */
export const NO_SCHEDULE: BackupSchedule = { everyMs: 0, keep: 0 }

export class NodeBackups implements BackupsApi, Service {
  readonly name = 'backups'
  private timer: { cancel(): void } | undefined
  private scheduled: Promise<unknown> | undefined

  constructor(
    private readonly db: DbClient,
    private readonly dataDir: string,
    private readonly schedule: BackupSchedule,
    private readonly log: Logger
  ) {}

  take(): Promise<Backup> {
    return this.run(false)
  }

  /** A scheduled backup: the oldest scheduled ones beyond the count kept are removed after it. */
  private takeScheduled(): Promise<Backup> {
    return this.run(true)
  }

  private async run(scheduled: boolean): Promise<Backup> {
    const keep = scheduled ? this.schedule.keep : undefined
    let job = (await this.db.call('backups.start', { scheduled, ...(keep && { keep }) }))
      .data as BackupJob
    while (job.state === 'running') {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      job = (await this.db.call('backups.status', { name: job.name })).data as BackupJob
    }
    if (job.state === 'failed' || !job.backup) {
      const why = job.message ?? `The backup ${job.name} failed`
      // A full disk is said as one (507, as a write refused for want of space is): free space,
      // then take it again. Anything else (a folder it may not write to…) as it came.
      if (job.diskFull) {
        throw new HttpError(
          'DISK_FULL',
          `${why}. The disk that holds the data directory is full: free space on it, then take the backup again`
        )
      }
      throw new HttpError('INTERNAL', why)
    }
    this.log.info({ backup: job.backup, ms: job.ms }, `backup ${job.name} taken in ${job.ms} ms`)
    return job.backup
  }

  async list(): Promise<Backup[]> {
    return (await this.db.call('backups.list', {})).data as Backup[]
  }

  async download(name: string, cutOff: () => void): Promise<Response> {
    const missing = new HttpError('NOT_FOUND', `This node holds no backup named ${name}`)
    if (!BACKUP_NAME.test(name)) throw missing
    const file = path.join(path.resolve(this.dataDir), 'backups', name)
    const size = await stat(file).then(
      (s) => s.size,
      () => null
    )
    if (size === null) throw missing
    const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>
    return new Response(unfailing(body, cutOff), {
      status: 200,
      headers: {
        'content-type': 'application/vnd.sqlite3',
        'content-length': String(size),
        'content-disposition': `attachment; filename="${name}"`,
      },
    })
  }

  /**
   * Starts the schedule, if one is set: the next backup one interval after the newest scheduled
   * one (see `firstScheduledIn`), not after the start, so that a node restarted more often than
   * its interval still takes them.
   */
  async open(): Promise<void> {
    const { everyMs } = this.schedule
    if (everyMs <= 0) return
    const held = await this.list().catch((err) => {
      this.log.error(
        { err },
        'the backups held could not be listed: the next one is an interval away'
      )
      return null
    })
    const firstMs = held ? firstScheduledIn(everyMs, held, Date.now()) : everyMs
    const tick = () => {
      this.scheduled = this.takeScheduled()
        .catch((err) => this.log.error({ err }, 'the scheduled backup failed'))
        .finally(() => {
          if (this.timer) this.timer = longTimeout(tick, everyMs)
        })
    }
    this.timer = longTimeout(tick, firstMs)
  }

  /** Stops the schedule, after the scheduled backup in progress if there is one. */
  async close(): Promise<void> {
    this.timer?.cancel()
    this.timer = undefined
    await this.scheduled
  }
}

/** A node with no scheduled backup yet takes its first this soon after it starts (or sooner). */
export const FIRST_SCHEDULED_MS = 10 * 60_000

/**
 * The wait before the next scheduled backup, given those held: one interval after the newest
 * scheduled one (none when that is past); with none, FIRST_SCHEDULED_MS or the interval.
 */
export function firstScheduledIn(everyMs: number, held: Backup[], now: number): number {
  const taken = held
    .filter((b) => b.name.startsWith('scheduled-'))
    .map((b) => Date.parse(b.takenAt))
    .filter((at) => Number.isFinite(at))
  if (taken.length === 0) return Math.min(everyMs, FIRST_SCHEDULED_MS)
  return Math.min(everyMs, Math.max(0, Math.max(...taken) + everyMs - now))
}

/** setTimeout's longest delay, 2^31 - 1 ms (about 24.8 days): a longer one fires after 1 ms. */
export const LONGEST_TIMEOUT_MS = 2 ** 31 - 1

/**
 * `fn` after `ms`, however long (a backup every 4 weeks is 40,320 min): waited for in steps no
 * longer than `longest`. Given to setTimeout at once, a longer wait fired after 1 ms, and the
 * backups ran back to back. Its timers do not hold the process open.
 */
export function longTimeout(
  fn: () => void,
  ms: number,
  set: (step: () => void, ms: number) => { unref(): unknown } = setTimeout,
  longest = LONGEST_TIMEOUT_MS
): { cancel(): void } {
  let timer: ReturnType<typeof set>
  let cancelled = false
  const wait = (left: number) => {
    const step = Math.min(left, longest)
    timer = set(() => {
      if (cancelled) return
      if (left > step) wait(left - step)
      else fn()
    }, step)
    timer.unref()
  }
  wait(ms)
  return {
    cancel() {
      cancelled = true
      clearTimeout(timer as NodeJS.Timeout)
    },
  }
}

export interface CatchUp {
  db: DbClient
  log: Logger
  selfId: string
  /** The peers the node was told to join through. */
  join: string[]
  /** Where the node listens (clients get 503 RESTORING there until it has caught up). */
  url: string
  /** Whether it has the cluster key: without it, it can be in no network. */
  networked: boolean
  /** Pulls the node's own log after where it stands from the peers' replicas, and verifies it. */
  restore(addresses: string[], nodeId: string): Promise<unknown>
}

/** Whether every peer answered and none holds a row of the node: nothing exists to catch up. */
function nothingHeld(err: unknown): boolean {
  const sources = (err as { sources?: RestoreSource[] }).sources ?? []
  return (
    sources.length > 0 &&
    sources.every((s) => s.peer.id !== null && (s.replica?.position.events ?? 0) === 0)
  )
}

/**
 * A node started on a database put back from one of its backups holds an older prefix of its own
 * log, and its peers' replicas of it may hold more: served as it stands, its next rows would fork
 * what they hold. So before it serves, it pulls its own tail from their replicas (the restore's
 * path, from where its log stands) and verifies the whole ledger; with no peer holding any of its
 * log, or none possible (no cluster key), there is nothing to catch up. A catch-up that cannot be
 * done stops the start, saying why: the node never serves a prefix its peers may have outgrown.
 */
export async function catchUpBackup(o: CatchUp): Promise<void> {
  const origin = (await o.db.call('backups.origin', {})).data as Backup | null
  if (!origin) return
  const put = `put back from backup ${origin.name} (ledger row ${origin.head.seq}, taken ${origin.takenAt})`
  if (o.networked) await catchUp(o, put)
  await o.db.call('backups.settle', {})
  o.log.info({ backup: origin }, `this database was ${put}; it serves as it is now`)
}

/** Pulls the tail from the peers; returns when none holds any of the node's log. */
async function catchUp(o: CatchUp, put: string): Promise<void> {
  const { members } = (await o.db.call('members.list', {})).data as { members: Member[] }
  const known = members.filter((m) => m.id !== o.selfId && m.state !== 'left')
  const addresses = [...new Set([...o.join, ...known.map((m) => m.address)])]
  if (addresses.length === 0) {
    // The backup may be older than the node's peers: they know it, it does not know them.
    throw new Error(
      `This database was ${put}, which knows no peer, but the node has the cluster key: peers that joined after the backup may hold rows written after it. Start it with --join and a peer's URL to catch them up (or, if it never had a peer, once without the cluster key, and without ${KEYRING_FILE} in its data directory if the keys were ever rotated).`
    )
  }
  o.log.warn(
    { addresses },
    `this database was ${put}: catching up its own log from the peers' replicas before it serves`
  )
  o.log.info(
    { url: o.url },
    `listening on ${o.url} while catching up: clients get 503 RESTORING until the ledger is verified`
  )
  try {
    await o.restore(addresses, o.selfId)
  } catch (err) {
    if (nothingHeld(err)) return
    throw new Error(
      `This database was ${put}; its peers may hold rows written after it, and catching them up failed: ${(err as Error).message}. Start the node again once its peers answer (were they gone for good: start it once without the cluster key, and without ${KEYRING_FILE} in its data directory if the keys were ever rotated; it then serves the backup as it is, and what they held after it is lost).`,
      { cause: err }
    )
  }
}
