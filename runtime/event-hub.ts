// The runtime's side of the event log (db/events/): it knows the log's head from the notices the
// worker sends after each commit that grew it, and wakes whoever waits for what comes next (the
// live event stream now; replication's feed, the outbox relay and topics later). Nothing polls.
import type { DbClient } from './db-client.ts'
import type { Service } from './services.ts'

/** The event log as handlers see it (ctx.events). */
export interface EventFeed {
  /** The last seq known to be committed. */
  head(): number
  /** Resolves once the log has grown past `after`, or when `signal` aborts or the node stops. */
  next(after: number, signal?: AbortSignal): Promise<void>
  /** Aborted when the node stops: long-lived answers (streams) end, so HTTP can close. */
  readonly stopping: AbortSignal
}

interface Waiter {
  after: number
  wake(): void
}

export class EventHub implements Service, EventFeed {
  readonly name = 'events'
  private known = 0
  private readonly waiters = new Set<Waiter>()
  private readonly stop = new AbortController()
  private readonly unsubscribe: () => void

  constructor(private readonly db: DbClient) {
    this.unsubscribe = db.onEvents((head) => this.grew(head))
  }

  get stopping(): AbortSignal {
    return this.stop.signal
  }

  head(): number {
    return this.known
  }

  async open(): Promise<void> {
    await this.refresh()
  }

  /**
   * Reads the head from the log itself: at start, and after the worker restarted (a commit just
   * before a crash may have had no notice).
   */
  async refresh(): Promise<void> {
    const { data } = await this.db.call('events.list', { after: 0, limit: 1 })
    this.grew((data as { head: number }).head)
  }

  next(after: number, signal?: AbortSignal): Promise<void> {
    if (this.known > after || this.stop.signal.aborted || signal?.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const waiter: Waiter = {
        after,
        wake: () => {
          this.waiters.delete(waiter)
          signal?.removeEventListener('abort', waiter.wake)
          resolve()
        },
      }
      this.waiters.add(waiter)
      signal?.addEventListener('abort', waiter.wake, { once: true })
    })
  }

  private grew(head: number): void {
    if (head <= this.known) return
    this.known = head
    for (const waiter of [...this.waiters]) if (waiter.after < head) waiter.wake()
  }

  async close(): Promise<void> {
    this.stop.abort()
    for (const waiter of [...this.waiters]) waiter.wake()
    this.unsubscribe()
  }
}
