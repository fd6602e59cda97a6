// The runtime's side of the event log (db/events/): it knows the log's head from the notices the
// worker sends after each commit that grew it, and wakes whoever waits for what comes next (the
// live event stream now; replication's feed, the outbox relay and topics later). Nothing polls.
import type { FeedPage, FeedPageText, Payload } from '../db/contract/index.ts'
import { whenHolds } from '../lib/when-holds.ts'
import type { DbClient } from './db-client.ts'
import type { Service } from './services.ts'

/** The event log as handlers see it (ctx.events). */
export interface EventFeed {
  /** The last seq known to be committed. */
  head(): number
  /** The log's head with the ledger's last row, once known (what peers' replicas follow). */
  position(): { events: number; ledger: { seq: number; hash: string } } | undefined
  /** Resolves once the log has grown past `after`, or when `signal` aborts or the node stops. */
  next(after: number, signal?: AbortSignal): Promise<void>
  /**
   * How fast the log grows: events a second over the last whole second or more measured (0
   * until a second has passed; a log that stopped growing counts its quiet time).
   */
  perSecond(): number
  /**
   * A page of the log after a position, as its JSON text (events.feedText). Asked for while the
   * same page is being read, it is that read's: peers that ask at the same moment from the same
   * position (their pages cut on one beat under a heavy stream) cost the worker one read.
   */
  pageText(asked: Payload<'events.feedText'>): Promise<FeedPageText>
  /** A peer asked for the log after `events` (its replica holds everything up to there). */
  asked(peer: string, events: number): void
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
  private ledger: { seq: number; hash: string } | undefined
  private readonly waiters = new Set<Waiter>()
  private readonly stop = new AbortController()
  private readonly unsubscribe: () => void
  /** Where the second being measured began (ms, on `now`), and the head then. */
  private measuring = { at: -Infinity, head: 0 }
  private rate = 0
  /** The pages being read, by what was asked. */
  private readonly reading = new Map<string, Promise<FeedPageText>>()
  /** Each peer's last ask of the feed: where its replica stood, and when (ms, on `now`). */
  private readonly asks = new Map<string, { events: number; at: number }>()
  /** Told of each ask (peersCaughtUp). */
  private readonly askListeners = new Set<() => void>()

  constructor(
    private readonly db: DbClient,
    private readonly now: () => number = () => performance.now()
  ) {
    this.unsubscribe = db.onEvents((head, ledger) => this.grew(head, ledger))
  }

  perSecond(): number {
    this.measure()
    return this.rate
  }

  pageText(asked: Payload<'events.feedText'>): Promise<FeedPageText> {
    const { after, limit, maxBytes } = asked
    const key = JSON.stringify([after.events, after.ledger.seq, after.ledger.hash, limit, maxBytes])
    const reading = this.reading.get(key)
    if (reading) return reading
    const read = this.db
      .call('events.feedText', { after, limit, maxBytes })
      .then(({ data }) => data as FeedPageText)
      .finally(() => this.reading.delete(key))
    this.reading.set(key, read)
    return read
  }

  asked(peer: string, events: number): void {
    this.asks.set(peer, { events, at: this.now() })
    for (const listener of [...this.askListeners]) listener()
  }

  /**
   * Resolves once every peer `following` that asked for the log within `recentMs` has asked from
   * its head (its replica holds this node's last row), or after `timeoutMs` whatever: a node that
   * stops waits for the peers that follow it before it leaves (a peer that hears it left asks no
   * more). A peer not `following` (gone, or failed to membership) is not waited for.
   */
  peersCaughtUp(
    timeoutMs: number,
    following: (peer: string) => boolean = () => true,
    recentMs = 30_000
  ): Promise<void> {
    const caughtUp = () => {
      const since = this.now() - recentMs
      for (const [peer, { events, at }] of this.asks) {
        if (at >= since && events < this.known && following(peer)) return false
      }
      return true
    }
    return whenHolds(caughtUp, this.askListeners, timeoutMs)
  }

  /** Once a second or more has passed since the last measure, the rate over it. */
  private measure(): void {
    const at = this.now()
    const elapsed = at - this.measuring.at
    if (elapsed < 1000) return
    this.rate = Math.round(((this.known - this.measuring.head) * 1000) / elapsed)
    this.measuring = { at, head: this.known }
  }

  get stopping(): AbortSignal {
    return this.stop.signal
  }

  head(): number {
    return this.known
  }

  position() {
    return this.ledger && { events: this.known, ledger: this.ledger }
  }

  async open(): Promise<void> {
    await this.refresh()
    // The log as it stood at start is no growth.
    this.measuring = { at: this.now(), head: this.known }
  }

  /**
   * Reads the head from the log itself: at start, and after the worker restarted (a commit just
   * before a crash may have had no notice).
   */
  async refresh(): Promise<void> {
    const { data } = await this.db.call('events.feed', {
      after: { events: 0, ledger: { seq: 0, hash: '0'.repeat(64) } },
      limit: 1,
      maxBytes: 1,
    })
    const { head } = data as FeedPage
    this.grew(head.events, head.ledger)
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

  private grew(head: number, ledger?: { seq: number; hash: string }): void {
    if (head < this.known || (head === this.known && this.ledger)) return
    if (ledger && (!this.ledger || ledger.seq >= this.ledger.seq)) this.ledger = ledger
    if (head === this.known) return
    this.measure()
    this.known = head
    for (const waiter of [...this.waiters]) if (waiter.after < head) waiter.wake()
  }

  /**
   * The first step of a stop: every wait ends (streams end, each feed answers at once) while the
   * log's head is still followed.
   */
  release(): void {
    this.stop.abort()
    for (const waiter of [...this.waiters]) waiter.wake()
  }

  async close(): Promise<void> {
    this.release()
    this.unsubscribe()
  }
}
