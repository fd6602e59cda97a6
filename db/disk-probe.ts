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

export class DiskProbe {
  /** The timer, and when it fires (ms, performance.now()). */
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity
  /** When the last probe began; whether the timer fired while the loop was busy. */
  private probedAt = -Infinity
  private due = false
  private stopped = false

  constructor(
    private readonly knex: Knex,
    private readonly log: Logger,
    /** Runs `work` holding the loop, if the loop is free (WorkerLoop.holdLoop). */
    private readonly hold: (work: () => Promise<void>) => void,
    private readonly beatMs = DISK_PROBE_MS,
    private readonly probeRoom: ProbeRoom = probeForRoom
  ) {}

  /**
   * The loop is free: the probe now if wanted, else its timer. A timer set is never put back:
   * batches that only read (a health check every 10 s) must not delay it for ever.
   */
  whenFree(): void {
    if (!diskFull() || this.stopped) return
    if (this.wanted()) return this.hold(() => this.run())
    this.arm(this.nextAt())
  }

  /**
   * Between two batches of a drain: a stream of batches with no gap between them must not hold
   * the probe off for its length. The probe now if wanted, else its timer (the flag may have come
   * in the batch just run).
   */
  async between(): Promise<void> {
    if (!diskFull() || this.stopped) return
    if (this.wanted()) await this.run()
    else this.arm(this.nextAt())
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  /**
   * Whether to probe now: the timer fired while the loop was busy, or a batch's writes committed
   * since the last probe (there may be room again: the probe says), PROBE_GAP_MS or more after it.
   */
  private wanted(): boolean {
    if (this.due) return true
    return wroteSinceProbe() && performance.now() - this.probedAt >= PROBE_GAP_MS
  }

  /** When the probe is next due: at the end of its gap when a write cued it, else on the beat. */
  private nextAt(): number {
    return wroteSinceProbe() ? this.probedAt + PROBE_GAP_MS : performance.now() + this.beatMs
  }

  /** The probe; the timer, if set, is spent (the next is set after it: whenFree, between). */
  private async run(): Promise<void> {
    this.due = false
    this.probedAt = performance.now()
    clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
    probeBegins()
    await this.probeRoom(this.knex, this.log)
  }

  /** The timer, for `at` (ms, performance.now()), unless one is set for sooner. */
  private arm(at: number): void {
    if (this.timer && this.timerAt <= at) return
    clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(
      () => {
        this.timer = undefined
        this.timerAt = Infinity
        if (!diskFull() || this.stopped) return // room again meanwhile: nothing to learn
        this.due = true
        this.hold(() => this.run()) // busy: the drain runs it between its batches
      },
      Math.max(0, at - performance.now())
    )
    this.timer.unref()
  }
}
