// A bounded wait on a condition whose changes are announced: a stopping node waits so for its
// writes in flight to settle (runtime/db-client.ts) and for its peers to take its last rows
// (runtime/event-hub.ts). Nothing polls.

/**
 * Resolves once `holds()` is true: checked now, and each time a function added to `told` is
 * called (the one this wait adds is removed when it ends); or after `timeoutMs`, whatever.
 */
export function whenHolds(
  holds: () => boolean,
  told: Set<() => void>,
  timeoutMs: number
): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      told.delete(check)
      resolve()
    }
    const check = () => {
      if (holds()) done()
    }
    const timer = setTimeout(done, timeoutMs)
    told.add(check)
    check()
  })
}
