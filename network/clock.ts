/** A timer handle; only the clock that made it can cancel it. */
export type Timer = object

/**
 * Time as the network's protocols see it: the hour, and timers. Production runs on the system
 * clock; tests run N members in one process on a ManualClock, so that minutes of protocol time
 * pass in milliseconds, the same way on every run.
 */
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number
  /** Runs `run` once, `ms` from now. */
  setTimeout(run: () => void, ms: number): Timer
  clearTimeout(timer: Timer | undefined): void
}

/**
 * The real clock. Its timers never keep the process alive: a node is held up by its HTTP server,
 * and a process that has nothing else left to do should not wait for a probe round.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(run, ms) {
    const timer = setTimeout(run, ms)
    timer.unref()
    return timer
  },
  clearTimeout(timer) {
    if (timer) clearTimeout(timer as NodeJS.Timeout)
  },
}

/** Resolves `ms` from now on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms))
}

/** The clock's time as the ISO text rows carry. */
export function isoAt(clock: Clock, at = clock.now()): string {
  return new Date(at).toISOString()
}
