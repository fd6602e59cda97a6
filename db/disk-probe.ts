// When the worker probes for room while writes fail for want of space (db/disk-full.ts): on a
// beat, and sooner after writes commit, at most once a PROBE_GAP_MS; between the batches of a
// drain that does not end, or once the loop is free. The loop (db/worker-loop.ts) says when it is
// free or between batches: a probe never runs while a batch holds the one connection.
import type { Knex } from 'knex'
import type { Logger } from 'pino'
import { diskFull, probeBegins, probeForRoom, wroteSinceProbe } from './disk-full.ts'

/**
 * While writes fail for want of space, how often the worker tries a write of its own
 * (probeForRoom) to learn whether there is room again: its commit alone ends the full-disk flag,
 * so an idle node's /health stops saying degraded once space is freed. Cued by a batch whose
 * writes committed meanwhile, it is tried sooner (PROBE_GAP_MS).
 */
export const DISK_PROBE_MS = 30_000

/**
 * At most one probe in this long while batches whose writes commit keep cueing it on a disk still
 * full (each probe there fails, a transaction rolled back).
 */
export const PROBE_GAP_MS = 1000

/** The probe itself: probeForRoom, or a test's. Never throws. */
export type ProbeRoom = (knex: Knex, log: Logger) => Promise<void>

/**
 * One deadline: when the flag is first seen up, a beat away; a write that commits brings it to
 * the end of the gap after the last probe; a probe sets it a beat on. The loop asks after each
 * batch (between) and once it is free (whenFree); a timer only wakes an idle loop for it.
 */
export class DiskProbe {
  /** When the next probe is due (ms, performance.now()), while the flag is up. */
  private dueAt: number | undefined
  private probedAt = -Infinity
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(
    private readonly knex: Knex,
    private readonly log: Logger,
    /** Runs `work` holding the loop, if the loop is free (WorkerLoop.holdLoop). */
    private readonly hold: (work: () => Promise<void>) => void,
    private readonly beatMs = DISK_PROBE_MS,
    private readonly probeRoom: ProbeRoom = probeForRoom
  ) {}

  /** The loop is free: the probe now if due, else the timer that wakes it then. */
  whenFree(): void {
    clearTimeout(this.timer)
    if (this.due()) return this.hold(() => this.run())
    if (this.dueAt === undefined) return
    this.timer = setTimeout(() => this.whenFree(), Math.max(0, this.dueAt - performance.now()))
    this.timer.unref()
  }

  /**
   * Between two batches of a drain: a stream of batches with no gap between them must not hold
   * the probe off for its length.
   */
  async between(): Promise<void> {
    if (this.due()) await this.run()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  /** Whether the probe is due now, the deadline brought up to date with the flag and the cue. */
  private due(): boolean {
    if (!diskFull() || this.stopped) {
      this.dueAt = undefined // room again: a flag seen up after this starts a beat of its own
      return false
    }
    this.dueAt ??= performance.now() + this.beatMs
    if (wroteSinceProbe()) this.dueAt = Math.min(this.dueAt, this.probedAt + PROBE_GAP_MS)
    return performance.now() >= this.dueAt
  }

  private async run(): Promise<void> {
    this.probedAt = performance.now()
    this.dueAt = this.probedAt + this.beatMs
    probeBegins()
    await this.probeRoom(this.knex, this.log)
  }
}
