import type { Clock, Timer } from './clock.ts'

interface Entry {
  due: number
  /** Order of creation: timers due at the same time run in the order they were set. */
  seq: number
  run: () => void
  lane: string
}

/** Lets every promise callback and immediate queued so far run to the end. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * A clock that moves only when told (`advance`), for testing protocols in one process. Each
 * process of a simulated network gets its own lane; pausing a lane is what a frozen process
 * (SIGSTOP) is: its timers do not run while time passes, and on `resume` the overdue ones run at
 * once, late — which is how the process notices it was frozen.
 *
 * Everything else the code under test awaits must settle without real I/O (in-memory stores,
 * the MockNetwork): `advance` lets it settle before each timer and before it returns.
 */
export class ManualClock implements Clock {
  private time: number
  private seq = 0
  private readonly timers = new Set<Entry>()
  private readonly paused = new Set<string>()

  constructor(start = Date.UTC(2026, 11, 1)) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  setTimeout(run: () => void, ms: number): Timer {
    return this.add('', run, ms)
  }

  clearTimeout(timer: Timer | undefined): void {
    if (timer) this.timers.delete(timer as Entry)
  }

  /** The clock of one simulated process: the same time, timers that `pause(name)` holds. */
  lane(name: string): Clock {
    return {
      now: () => this.time,
      setTimeout: (run, ms) => this.add(name, run, ms),
      clearTimeout: (timer) => this.clearTimeout(timer),
    }
  }

  pause(lane: string): void {
    this.paused.add(lane)
  }

  resume(lane: string): void {
    this.paused.delete(lane)
  }

  /** Timers set and not yet run (paused lanes included). */
  get pending(): number {
    return this.timers.size
  }

  /**
   * Moves time forward by `ms`. Every timer that falls due runs at its own time, in order, and
   * what it starts settles before the next one runs.
   */
  async advance(ms: number): Promise<void> {
    const until = this.time + Math.max(0, ms)
    for (;;) {
      await settle()
      const next = this.next(until)
      if (next) {
        this.timers.delete(next)
        this.time = Math.max(this.time, next.due)
        next.run()
      } else if (this.time < until) {
        this.time = until
      } else {
        return
      }
    }
  }

  private add(lane: string, run: () => void, ms: number): Timer {
    const entry: Entry = { due: this.time + Math.max(0, ms), seq: this.seq++, run, lane }
    this.timers.add(entry)
    return entry
  }

  private next(until: number): Entry | undefined {
    let first: Entry | undefined
    for (const entry of this.timers) {
      if (entry.due > until || this.paused.has(entry.lane)) continue
      if (!first || entry.due < first.due || (entry.due === first.due && entry.seq < first.seq))
        first = entry
    }
    return first
  }
}
