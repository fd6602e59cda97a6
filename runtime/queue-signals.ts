// Wakes the receives that wait on a queue (long polls) when a message is published or put back
// to it. Every publish to this node's queues goes through its handlers, in this process, so a
// wait here misses none; a delayed or hidden message is waited for by its time, which the
// receive reads from the worker.

export interface QueueSignals {
  /**
   * Something became visible on `queue` (a publish, a nack): its waiting receives look again;
   * with no queue named (a topic's publish, which fills the queues of its subscriptions), all do.
   */
  published(queue?: string): void
  /**
   * Resolves when `queue` is told of a message, at `untilMs` (ms since the epoch), or on abort; at
   * once when something was published to it since `since` (a `version(queue)` read before looking).
   */
  next(queue: string, untilMs: number, signal?: AbortSignal, since?: number): Promise<void>
  /**
   * Counts the publishes that concern `queue`: its own, and those that name no queue (topics,
   * which fill subscriptions' queues); with no queue, only the latter. Read it before looking,
   * and pass it to `next`, to miss none. Per queue, so that a wait on a quiet queue is not sent
   * back to look by every publish to another.
   */
  version(queue?: string): number
}

export class QueueWaiters implements QueueSignals {
  private readonly waiting = new Map<string, Set<() => void>>()
  private readonly times = new Map<string, number>()
  private everywhere = 0

  version(queue?: string): number {
    return this.everywhere + (queue === undefined ? 0 : (this.times.get(queue) ?? 0))
  }

  published(queue?: string): void {
    if (queue === undefined) {
      this.everywhere++
      for (const name of [...this.waiting.keys()]) this.wake(name)
      return
    }
    this.times.set(queue, (this.times.get(queue) ?? 0) + 1)
    this.wake(queue)
  }

  next(queue: string, untilMs: number, signal?: AbortSignal, since?: number): Promise<void> {
    if (since !== undefined && this.version(queue) > since) return Promise.resolve()
    return new Promise((resolve) => {
      const wakes = this.waiting.get(queue) ?? new Set<() => void>()
      this.waiting.set(queue, wakes)
      const wake = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', wake)
        wakes.delete(wake)
        if (wakes.size === 0 && this.waiting.get(queue) === wakes) this.waiting.delete(queue)
        resolve()
      }
      const timer = setTimeout(wake, Math.max(0, untilMs - Date.now()))
      if (signal?.aborted) return wake()
      signal?.addEventListener('abort', wake, { once: true })
      wakes.add(wake)
    })
  }

  private wake(queue: string): void {
    const wakes = this.waiting.get(queue)
    if (!wakes) return
    this.waiting.delete(queue)
    for (const wake of wakes) wake()
  }
}
