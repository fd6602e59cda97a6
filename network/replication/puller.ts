import type { Logger } from 'pino'
import type { Replica } from '../../db/contract/index.ts'
import { isoAt, type Clock, type Timer } from '../clock.ts'
import type { PeerOutcome, Transport } from '../transport/transport.ts'
import {
  REPLICATION_MESSAGES,
  samePosition,
  type FeedAnswer,
  type LogPosition,
} from './messages.ts'
import type { ReplicaStore } from './store.ts'

/** How a puller pages and waits. */
export interface PullTiming {
  /** Events per page near the head, and when further behind than `farBehind`. */
  page: number
  bigPage: number
  farBehind: number
  maxBytes: number
  /** How long the owner may hold a request when this replica has everything. */
  waitMs: number
  /** How long an answer may take beyond that wait. */
  answerMs: number
  /** The first wait after a failure, doubled on each failure after it, up to `maxBackoffMs`. */
  backoffMs: number
  maxBackoffMs: number
}

export const DEFAULT_PULL: PullTiming = {
  page: 500,
  bigPage: 2000,
  farBehind: 2000,
  maxBytes: 4 * 1024 * 1024,
  waitMs: 20_000,
  answerMs: 10_000,
  backoffMs: 250,
  maxBackoffMs: 30_000,
}

const START: LogPosition = { events: 0, ledger: { seq: 0, hash: '0'.repeat(64) } }

type FeedOutcome = PeerOutcome<FeedAnswer>

/** Where the replica will stand once a page is applied: its last event, its last ledger row. */
export function positionAfter(cursor: LogPosition, page: FeedAnswer): LogPosition {
  let ledger = cursor.ledger
  for (const event of page.events) {
    const row = event.data as { seq?: unknown; hash?: unknown } | null
    if (event.type === 'movement.recorded' && typeof row?.seq === 'number') {
      ledger = { seq: row.seq, hash: String(row.hash) }
    }
  }
  return { events: page.events.at(-1)?.seq ?? cursor.events, ledger }
}

/** The peer a puller follows, as membership knows it now. */
export interface Owner {
  id: string
  name: string
  address: string
}

export interface PullerDeps {
  owner: () => Owner
  transport: Transport
  store: ReplicaStore
  clock: Clock
  log: Logger
  timing: PullTiming
  /** The owner's head as it last said itself on membership traffic. */
  gossipHead: () => LogPosition | undefined
}

/** What a puller knows beyond the database: how its last exchange with the owner went. */
export interface PullStatus {
  /** The owner is alive to membership and the puller follows it. */
  following: boolean
  /** The last exchange with the owner failed (the replica is stale until one succeeds). */
  failing: boolean
  /**
   * The replica broke (its reason is in the database): nothing is pulled until the owner, seen
   * alive again, holds the replica's last row as it does (tried once each time).
   */
  stopped: boolean
  /** The furthest head known: from gossip or from the owner's last page. */
  knownHead: LogPosition | null
  lastContactAt: string | null
  lastError: string | null
  /** The last page held everything up to the owner's head. */
  upToDate: boolean
}

/**
 * Follows one peer's log into this node's replica of it: a page after the committed cursor, the
 * page applied (the store checks it), and again; big pages while far behind, a long-poll once up
 * to date. A failure backs off (doubling, up to a bound) and resumes from the committed cursor;
 * a broken or forked replica stops it, said at error level, until the owner is seen alive again
 * and holds the replica's last row as the replica does (its ledger restored to that history, or
 * put back from a disk changed behind its back): then it is mended and followed on, every page
 * checked as ever.
 */
export class Puller {
  private following = false
  private stopped = false
  private broken = false
  /** Whether mending a broken replica was tried since the last resume (once each). */
  private mendTried = false
  /**
   * Counts the times the replica was dropped (forget): an answer to a question asked before a
   * drop breaks nothing and mends nothing; the loop starts again from the store.
   */
  private epoch = 0
  private running: Promise<void> | null = null
  private wake: (() => void) | null = null
  /** A resume or stop came while the loop was not asleep: its next sleep ends at once. */
  private nudged = false
  private backoff = 0
  private failing = false
  private upToDate = false
  private pageHead: LogPosition | undefined
  /**
   * The head gossip said when the last page was applied: a page says more about the owner than
   * any word on membership before it. A head that gossip says only after a page is believed over
   * it, when ahead; the one before is not, so that a head the owner never reached (a key holder's
   * forgery, or an owner's log put back shorter from a backup) does not keep the puller asking
   * without waiting, page after empty page.
   */
  private gossipAtPage: LogPosition | undefined
  private lastContact: number | undefined
  private lastError: string | null = null
  /** Why the owner is not asked (membership's word), while paused. */
  private pausedBecause: string | null = null

  constructor(private readonly deps: PullerDeps) {}

  /** Follows the owner from now on, at once (membership sees it alive): no backoff left. */
  resume(): void {
    if (this.stopped) return
    this.mendTried = false
    this.following = true
    this.pausedBecause = null
    this.backoff = 0
    if (this.running) this.nudge()
    else this.running = this.run().finally(() => (this.running = null))
  }

  /**
   * Its replica was dropped (reseeded): what it knew of the last exchange and of the break is
   * forgotten; a running loop starts again from the store (nothing there: the start of the log).
   */
  forget(): void {
    this.epoch++
    this.broken = false
    this.failing = false
    this.lastError = null
    this.upToDate = false
    this.pageHead = undefined
    this.gossipAtPage = undefined
    this.mendTried = false
  }

  /**
   * Stops asking the owner until resumed; `why` (membership's word: failed, left) is the replica's
   * last error unless an exchange failed with a more precise one, so a stale replica always says why.
   */
  pause(why: string): void {
    this.following = false
    this.pausedBecause = why
  }

  /** Stops for good (the node stops): a sleep ends at once; an exchange in flight is left. */
  stop(): void {
    this.stopped = true
    this.following = false
    this.nudge()
  }

  /**
   * Ends the loop's sleep, or the next one if it is busy (awaiting an answer or the store): a
   * resume that came while a paused puller waited for its last apply is not lost.
   */
  private nudge(): void {
    if (this.wake) this.wake()
    else this.nudged = true
  }

  status(): PullStatus {
    const gossip = this.deps.gossipHead()
    const page = this.pageHead
    const said = this.gossipAtPage
    const newer = gossip !== undefined && (said === undefined || !samePosition(gossip, said))
    const knownHead = !page || (newer && gossip.events > page.events) ? gossip : page
    return {
      following: this.following,
      failing: this.failing,
      stopped: this.broken,
      knownHead: knownHead ?? null,
      lastContactAt:
        this.lastContact === undefined ? null : isoAt(this.deps.clock, this.lastContact),
      lastError: this.lastError ?? this.pausedBecause,
      upToDate: this.upToDate,
    }
  }

  private async run(): Promise<void> {
    let cursor: LogPosition | undefined
    // While catching up, the next page is asked for while this one is applied: the owner reads
    // as the replica writes. It is used only if it follows the page before.
    let next: { after: LogPosition; outcome: Promise<FeedOutcome>; epoch: number } | undefined
    // While catching up, a page also goes to the store before the one before it is committed, so
    // that the store (the worker) does not wait for each page's hop: `cursor` is then where the
    // replica will stand once `pending` is applied. The store checks every page against what is
    // committed, so a page after one that was not applied is refused, never applied out of turn.
    let pending: Promise<Replica | undefined> | undefined
    // The last apply handed to the store: the store applies in order, so once it has settled
    // every apply before it has too.
    let last: Promise<unknown> = Promise.resolve()
    const restart = async () => {
      await last.catch(() => undefined)
      pending = undefined
      next = undefined
      cursor = undefined // resumed from what is committed, whatever happened to the applies
    }
    while (!this.stopped) {
      if (!this.following) {
        if (pending) await restart()
        await this.sleep(Infinity)
        continue
      }
      this.nudged = false // it follows: a resume meanwhile has nothing left to wake
      const epoch = this.epoch
      try {
        if (!cursor) {
          const loaded = await this.deps.store.load(this.deps.owner().id)
          const replica = loaded?.state === 'broken' ? await this.mended(loaded) : loaded
          if (epoch !== this.epoch) {
            await restart() // dropped meanwhile: from the store again
            continue
          }
          if (replica === 'again') {
            // The owner did not say (down, slow, stopping): asked again, backing off.
            await this.sleep(this.nextBackoff())
            continue
          }
          if (replica?.state === 'broken') return this.broke(replica)
          cursor = replica?.cursor ?? START
          // Paused (or stopped) while the store answered: the owner is not asked.
          if (!this.following) continue
        }
        // Asked before the replica was dropped: about a cursor that is gone.
        const asked =
          next && next.epoch === epoch && samePosition(next.after, cursor) ? next : undefined
        next = undefined
        const answer = await this.answered(
          cursor,
          await (asked?.outcome ?? this.request(cursor)),
          epoch
        )
        if (this.stopped) return
        if (answer === 'forked') return
        if (!answer) {
          await restart()
          await this.sleep(this.nextBackoff())
          continue
        }
        const after = positionAfter(cursor, answer)
        if (!answer.upToDate) {
          next = { after, outcome: this.request(after), epoch }
          next.outcome.catch(() => undefined)
        }
        const applied = this.apply(cursor, answer)
        last = applied
        applied.catch(() => undefined)
        const before = pending
        pending = undefined
        if (before) {
          const replica = await before
          if (epoch !== this.epoch) {
            await restart() // dropped meanwhile: what it says is of the replica that was
            continue
          }
          if (replica?.state === 'broken') return this.broke(replica)
          if (!replica || !samePosition(replica.cursor, cursor)) {
            await restart()
            continue
          }
        }
        if (!answer.upToDate) {
          pending = applied
          cursor = after
          continue
        }
        const replica = await applied
        if (epoch !== this.epoch) {
          await restart()
          continue
        }
        cursor = replica?.cursor
        if (replica?.state === 'broken') return this.broke(replica)
      } catch (err) {
        this.failed(`the replica could not be stored: ${(err as Error).message}`)
        await restart()
        await this.sleep(this.nextBackoff())
      }
    }
  }

  /** Asks the owner for the page after `after`; nothing is believed or acted on yet. */
  private request(after: LogPosition): Promise<FeedOutcome> {
    const { transport, timing } = this.deps
    const owner = this.deps.owner()
    const head = this.status().knownHead
    const behind = head ? head.events - after.events : 0
    const waitMs = this.upToDate && behind <= 0 ? timing.waitMs : 0
    return transport.call({
      kind: REPLICATION_MESSAGES.feed,
      address: owner.address,
      to: owner.id,
      body: {
        after,
        limit: behind > timing.farBehind ? timing.bigPage : timing.page,
        maxBytes: timing.maxBytes,
        waitMs,
      },
      timeoutMs: waitMs + timing.answerMs,
    })
  }

  /** What the owner's answer means: a page; undefined after a failure; 'forked' (broken). */
  private async answered(
    after: LogPosition,
    outcome: FeedOutcome,
    epoch: number
  ): Promise<FeedAnswer | 'forked' | undefined> {
    // Asked before the replica was dropped: its answer is about a cursor that is gone.
    if (epoch !== this.epoch) return undefined
    const owner = this.deps.owner()
    if (outcome.ok) {
      this.lastContact = this.deps.clock.now()
      return outcome.body
    }
    if (outcome.code === 'FORKED') {
      const message = `the owner's ledger does not hold this replica's row ${after.ledger.seq}: ${outcome.message}`
      await this.deps.store.break(owner.id, 'forked', message)
      this.broke({ reason: 'forked', lastError: message })
      return 'forked'
    }
    this.failed(`${outcome.reason}: ${outcome.message}`)
    return undefined
  }

  private async apply(after: LogPosition, page: FeedAnswer): Promise<Replica | undefined> {
    const { id, name } = this.deps.owner()
    const applied = await this.deps.store.apply({ ...page, nodeId: id, name, after })
    if (applied === 'conflict') return undefined // reloaded from the store on the next turn
    this.pageHead = page.head
    this.gossipAtPage = this.deps.gossipHead()
    this.upToDate = page.upToDate
    this.failing = false
    this.lastError = null
    this.backoff = 0
    return applied
  }

  /**
   * A broken replica, mended if its owner now holds its last row as it does: its answer to a page
   * after the replica's cursor is not FORKED. Asked until the owner says, yes or no, once per
   * resume ('again': no word from it this time). The page is not used; the loop asks again from
   * the cursor, and checks what comes as ever. Stopped or paused meanwhile, nothing is mended.
   */
  private async mended(replica: Replica): Promise<Replica | 'again'> {
    if (this.mendTried) return replica
    const owner = this.deps.owner()
    const epoch = this.epoch
    const outcome = await this.request(replica.cursor)
    if (this.stopped || !this.following || epoch !== this.epoch) return replica
    if (!outcome.ok) {
      if (outcome.code !== 'FORKED') {
        this.failed(`${outcome.reason}: ${outcome.message}`)
        return 'again'
      }
      this.mendTried = true
      return replica
    }
    // Tried once the store has said: a store that failed (its worker restarting) is asked again.
    const mended = await this.deps.store.mend(owner.id, replica.cursor).catch((err: Error) => {
      this.failed(`the replica could not be mended: ${err.message}`)
      return 'again' as const
    })
    if (mended === 'again') return mended
    this.mendTried = true
    if (mended === 'conflict' || mended.state === 'broken') return replica
    this.broken = false
    this.failing = false
    this.lastError = null
    this.deps.log.warn(
      { node: owner.id, was: replica.reason, cursor: replica.cursor },
      `the replica of ${owner.name || owner.id}, broken (${replica.reason}), is followed again: its owner holds row ${replica.cursor.ledger.seq} as the replica does`
    )
    return mended
  }

  private broke(replica: Pick<Replica, 'reason' | 'lastError'>): void {
    this.broken = true
    this.following = false
    this.failing = true
    this.upToDate = false // the mend's question is answered at once, not long-polled
    this.lastError = replica.lastError
    const { id, name } = this.deps.owner()
    this.deps.log.error(
      { node: id, reason: replica.reason, problem: replica.lastError },
      `the replica of ${name || id} is broken (${replica.reason}): replication from it stopped`
    )
  }

  private failed(message: string): void {
    this.failing = true
    this.upToDate = false
    this.lastError = message
  }

  private nextBackoff(): number {
    const { backoffMs, maxBackoffMs } = this.deps.timing
    this.backoff = this.backoff === 0 ? backoffMs : Math.min(maxBackoffMs, this.backoff * 2)
    return this.backoff
  }

  private sleep(ms: number): Promise<void> {
    if (this.nudged) {
      this.nudged = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      let timer: Timer | undefined
      this.wake = () => {
        this.wake = null
        this.deps.clock.clearTimeout(timer)
        resolve()
      }
      if (ms !== Infinity) timer = this.deps.clock.setTimeout(() => this.wake?.(), ms)
    })
  }
}
