// Wakes the receives that wait on a queue (long polls) when a message is published or put back
// to it. Every publish to this node's queues goes through its handlers, in this process, so a
// wait here misses none; a delayed or hidden message is waited for by its time, which the
// receive reads from the worker.
//
// A publish of messages visible at once wakes the receives waiting on its queue as it leaves for
// the worker, not once it has committed: their takes leave in the same frame, run in the same
// batch after it, and commit with it. A waiting consumer has the message one commit after it was
// sent, not three round trips to the worker (the publish, a look, the take).

export interface QueueSignals {
  /**
   * Something became visible on `queue` (a publish, a nack): its waiting receives look again;
   * with no queue named (a topic's publish, which fills the queues of its subscriptions), all do.
   */
  published(queue?: string): void
  /**
   * Messages visible at once are on their way to `queue`, in a write sent to the worker this turn
   * of the event loop: its waiting receives take now, so that their takes run after it in its batch.
   */
  publishing(queue: string): void
  /**
   * Resolves when `queue` is told of a message, at `untilMs` (ms since the epoch), or on abort; at
   * once when something was published to it since `since` (a `version(queue)` read before looking).
   * With `take` when messages visible at once are on their way to it (`publishing`), else `look`.
   */
  next(queue: string, untilMs: number, signal?: AbortSignal, since?: number): Promise<Woken>
  /**
   * Counts the publishes that concern `queue`: its own, and those that name no queue (topics,
   * which fill subscriptions' queues); with no queue, only the latter. Read it before looking,
   * and pass it to `next`, to miss none. Per queue, so that a wait on a quiet queue is not sent
   * back to look by every publish to another.
   */
  version(queue?: string): number
}

/** Why a wait ended: take what is there now, or look whether there is anything to take. */
export type Woken = 'take' | 'look'

export class QueueWaiters implements QueueSignals {
  private readonly waiting = new Map<string, Set<(why: Woken) => void>>()
  private readonly times = new Map<string, number>()
  private everywhere = 0

  version(queue?: string): number {
    return this.everywhere + (queue === undefined ? 0 : (this.times.get(queue) ?? 0))
  }

  published(queue?: string): void {
    if (queue === undefined) {
      this.everywhere++
      for (const name of [...this.waiting.keys()]) this.wake(name, 'look')
      return
    }
    this.times.set(queue, (this.times.get(queue) ?? 0) + 1)
    this.wake(queue, 'look')
  }

  publishing(queue: string): void {
    this.wake(queue, 'take')
  }

  next(queue: string, untilMs: number, signal?: AbortSignal, since?: number): Promise<Woken> {
    if (since !== undefined && this.version(queue) > since) return Promise.resolve('look')
    return new Promise((resolve) => {
      const wakes = this.waiting.get(queue) ?? new Set<(why: Woken) => void>()
      this.waiting.set(queue, wakes)
      const wake = (why: Woken) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', look)
        wakes.delete(wake)
        if (wakes.size === 0 && this.waiting.get(queue) === wakes) this.waiting.delete(queue)
        resolve(why)
      }
      const look = () => wake('look')
      const timer = setTimeout(look, Math.max(0, untilMs - Date.now()))
      if (signal?.aborted) return look()
      signal?.addEventListener('abort', look, { once: true })
      wakes.add(wake)
    })
  }

  private wake(queue: string, why: Woken): void {
    const wakes = this.waiting.get(queue)
    if (!wakes) return
    this.waiting.delete(queue)
    for (const wake of wakes) wake(why)
  }
}
