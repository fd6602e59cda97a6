import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { Service } from './services.ts'

/**
 * How often the loop is sampled, and how long one window of samples lasts. Every 50 ms, not 10: an
 * idle process is woken by each sample (db/metrics.ts: what it cost). A window holds up to 99
 * samples, so its 99th percentile is the second-longest from 51 samples (the longest up to 50):
 * one stall alone is read only while its window holds 50 samples or fewer, and it takes two for a
 * window to keep it, unless the stall fills half the window (at 10 ms, about 499 samples, it took
 * six). A stall is read up to 50 ms short; one shorter than 50 ms only when a tick falls in it;
 * none in the 50 ms where a window rolls (reset() starts the intervals anew). What this is for,
 * lateness that lasts on a busy machine, it reads.
 */
const RESOLUTION_MS = 50
const WINDOW_MS = 5000

/**
 * How late this process's timers have been firing lately: the 99th percentile of the event loop's
 * delay over the last window (5 s) or the one under way, whichever is later, in ms. On a quiet
 * machine it is near 0; on a busy one (many processes on few cores, a long synchronous task) a
 * timer set for a deadline fires that much after it, and the answer it sends leaves later still.
 * A question under a deadline keeps this in hand (handlers/_shared/network-stock.ts).
 */
export class TimerLateness implements Service {
  readonly name = 'timer lateness'
  private histogram: IntervalHistogram | null = null
  private timer: NodeJS.Timeout | undefined
  private lastWindowMs = 0

  async open(): Promise<void> {
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
    this.histogram.enable()
    this.timer = setInterval(() => this.roll(), WINDOW_MS).unref()
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    this.histogram?.disable()
    this.histogram = null
    this.lastWindowMs = 0
  }

  /** The recent 99th percentile of the timers' lateness, ms (0 before any sample). */
  p99Ms(): number {
    return Math.max(this.lastWindowMs, this.windowMs())
  }

  private roll(): void {
    this.lastWindowMs = this.windowMs()
    this.histogram?.reset()
  }

  /** The window under way: each sample is the interval between two ticks, the resolution in it. */
  private windowMs(): number {
    const h = this.histogram
    if (!h || h.count === 0) return 0
    return Math.max(0, h.percentile(99) / 1e6 - RESOLUTION_MS)
  }
}
