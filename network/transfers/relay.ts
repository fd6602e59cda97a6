import type { Logger } from 'pino'
import type { Member } from '../../db/contract/index.ts'
import { systemClock, type Clock } from '../clock.ts'
import type { MemberChange } from '../membership/view.ts'
import type { Transport } from '../transport/transport.ts'
import { DEFAULT_RELAY, Lane, type LaneStatus, type RelayTiming } from './lane.ts'
import type { TransferStore } from './store.ts'

/** What the relay needs of the membership: the peers and their changes. */
export interface RelayMembership {
  snapshot(): { members: Member[] }
  onChange(listener: (change: MemberChange) => void): () => void
}

export interface RelayOptions {
  identity: { id: string; name: string }
  membership: RelayMembership
  transport: Transport
  store: TransferStore
  log: Logger
  clock?: Clock
  /** Where the back-off's jitter comes from; seeded in tests. */
  random?: () => number
  timing?: Partial<RelayTiming>
}

/** The relay as the runtime and handlers see it (ctx.relay). */
export interface RelayApi {
  /**
   * Something may have been put in the outbox (a commit of a transfer, the inbox's answers): the
   * lane of `peer` reads it now; without a peer, every lane does and the outbox is looked over.
   */
  wake(peer?: string): void
  /** Each peer's lane as it stands since this node started. */
  peers(): LaneStatus[]
}

/**
 * The outbox relay: one lane per destination peer, each carrying its messages in order. Lanes
 * are woken, never polled: by a commit that enqueued (wake), by membership seeing the peer alive
 * (with no back-off left), and by their own back-off timer after a failure.
 */
export class Relay implements RelayApi {
  readonly name = 'relay'
  private readonly lanes = new Map<string, Lane>()
  private readonly timing: RelayTiming
  private readonly clock: Clock
  private unsubscribe: (() => void) | null = null
  private stopped = false
  /** A look-over runs; `lookAgain`: a wake came during it, so it reads the outbox once more. */
  private looking = false
  private lookAgain = false

  constructor(private readonly options: RelayOptions) {
    this.timing = { ...DEFAULT_RELAY, ...options.timing }
    this.clock = options.clock ?? systemClock
  }

  async open(): Promise<void> {
    const { membership, identity } = this.options
    this.unsubscribe = membership.onChange(({ member, previous }) => {
      if (member.id === identity.id || this.stopped) return
      const lane = this.lane(member.id)
      if (member.state === 'alive' && previous?.state !== 'alive') lane.alive()
      else lane.kick()
    })
    for (const member of membership.snapshot().members) {
      if (member.id !== identity.id) this.lane(member.id).kick()
    }
    this.lookOver()
  }

  async close(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    for (const lane of this.lanes.values()) lane.stop()
  }

  wake(peer?: string): void {
    if (this.stopped || peer === this.options.identity.id) return
    if (peer !== undefined) return this.lane(peer).kick()
    for (const lane of this.lanes.values()) lane.kick()
    this.lookOver()
  }

  peers(): LaneStatus[] {
    return [...this.lanes.values()].map((lane) => lane.status())
  }

  private lane(peer: string): Lane {
    let lane = this.lanes.get(peer)
    if (!lane) {
      const { identity, membership, transport, store, log, random } = this.options
      lane = new Lane({
        peer,
        self: identity,
        member: () => membership.snapshot().members.find((m) => m.id === peer),
        transport,
        store,
        clock: this.clock,
        random: random ?? Math.random,
        log,
        timing: this.timing,
      })
      this.lanes.set(peer, lane)
    }
    return lane
  }

  /** Finds the peers the outbox holds messages for (one not a member too), one read at a time. */
  private lookOver(): void {
    if (this.looking) {
      this.lookAgain = true
      return
    }
    // Set before the first read and cleared in the same step as the last check of `lookAgain`:
    // cleared a turn later (in a .finally), a wake in between was taken for one this look-over
    // would see, and lost.
    this.looking = true
    void (async () => {
      try {
        do {
          this.lookAgain = false
          try {
            // The peers only, counted per peer: a wake naming none comes with every publish and
            // every commit that appends events, and reading the messages themselves (up to a
            // thousand, payloads and all) each time cost the worker most while a peer was cut
            // off with a backlog, when the warehouse must keep working alone.
            const waiting = await this.options.store.waiting()
            if (this.stopped) return
            for (const to of waiting) this.lane(to).kick()
          } catch (err) {
            // Each member's lane reads its own part anyway; only a non-member's would be missed.
            this.options.log.warn({ err }, 'the outbox could not be looked over')
          }
        } while (this.lookAgain && !this.stopped)
      } finally {
        this.looking = false
      }
    })()
  }
}
