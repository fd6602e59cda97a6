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
   * once when anything was published since `since` (a `version()` read before looking).
   */
  next(queue: string, untilMs: number, signal?: AbortSignal, since?: number): Promise<void>
  /** Counts every `published`: read it before looking, and pass it to `next`, to miss none. */
  version(): number
}

export class QueueWaiters implements QueueSignals {
  private readonly waiting = new Map<string, Set<() => void>>()
  private times = 0

  version(): number {
    return this.times
  }

  published(queue?: string): void {
    this.times++
    if (queue === undefined) {
      for (const name of [...this.waiting.keys()]) this.published(name)
      return
    }
    const wakes = this.waiting.get(queue)
    if (!wakes) return
    this.waiting.delete(queue)
    for (const wake of wakes) wake()
  }

  next(queue: string, untilMs: number, signal?: AbortSignal, since?: number): Promise<void> {
    if (since !== undefined && this.times > since) return Promise.resolve()
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
}
