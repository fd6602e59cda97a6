import type { Logger } from 'pino'
import type { Member } from '../../db/contract/index.ts'
import { isoAt, systemClock, type Clock } from '../clock.ts'
import { ProtocolError, type Transport } from '../transport/transport.ts'
import type { ForceLeaveOutcome, LeaveOutcome, LiveContact, MembershipApi } from './api.ts'
import { Detector } from './detector.ts'
import { Disseminator } from './disseminator.ts'
import { Evidence } from './evidence.ts'
import { Inbound } from './inbound.ts'
import { Joining, type JoinOutcome } from './joining.ts'
import { Merger } from './merge.ts'
import type { MemberList, PeerAnswer, PeerKind, PeerMessage } from './messages.ts'
import { nextIncarnation } from './rules.ts'
import type { LogPosition } from '../replication/messages.ts'
import type { MemberStore } from './store.ts'
import { DEFAULT_TIMING, type Timing } from './timing.ts'
import { MemberView, type MemberChange } from './view.ts'

export interface MembershipOptions {
  store: MemberStore
  transport: Transport
  log: Logger
  identity: { id: string; name: string }
  /** Addresses to join through at start (--join). */
  join: string[]
  /** Any of the protocol's timings, over the defaults (timing.ts). */
  timing?: Partial<Timing>
  clock?: Clock
  /** Where the random choices come from (probe order, helpers, gossip targets); seeded in tests. */
  random?: () => number
  /** This node's log head, which rides on what it says of itself (replication's lag). */
  ownHead?: () => LogPosition | undefined
  /** Another process runs under this node's id, at `address` (merge.ts, MergerDeps.impostor). */
  onImpostor?: (claim: { address: string; incarnation: number; from?: string }) => void
}

/**
 * This node's membership in the peer network: its peer list (committed to the store before any
 * change is acted on), the failure detector, and the spreading of news. SWIM in its structure,
 * with refusals told from silence and leaves acknowledged by every member. Each part gets only
 * what it uses, by constructor; this class wires them and is what the node and its handlers see.
 */
export class Membership implements MembershipApi {
  readonly name = 'membership'
  private readonly view: MemberView
  private readonly gossip: Disseminator
  private readonly detector: Detector
  private readonly merger: Merger
  private readonly inbound: Inbound
  private readonly joining: Joining
  /** The protocol's timings, as configured over the defaults. */
  readonly timing: Timing
  private readonly clock: Clock
  private readonly log: Logger
  private readonly unwatch: () => void
  /** Out of the network: leaving, left, or kept out by an operator's leave. */
  private leaving = false
  /** The leave under way: a leave asked meanwhile waits for it. */
  private leavingNow: Promise<LeaveOutcome> | undefined
  private isOpen = false
  /** Set when close() begins: joins asked from then on are refused, those in flight awaited. */
  private stopping = false
  private address = ''

  constructor(private readonly options: MembershipOptions) {
    const { store, transport, log, identity } = options
    const clock = options.clock ?? systemClock
    const random = options.random ?? Math.random
    const timing = { ...DEFAULT_TIMING, ...options.timing }
    const view = new MemberView(store, identity.id, clock, options.ownHead)
    const merge: Merger['merge'] = (updates, how) => {
      view.noteHeads(updates, how?.from)
      return this.merger.merge(updates, how)
    }
    const spread = (members: Member[]) => this.gossip.spread(members)
    const piggyback = () => this.gossip.piggyback()
    this.view = view
    this.clock = clock
    this.log = log
    this.timing = timing
    this.gossip = new Disseminator({
      view,
      transport,
      clock,
      random,
      timeoutMs: () => this.detector.timeoutMs,
    })
    this.detector = new Detector({
      view,
      transport,
      timing,
      clock,
      random,
      log,
      piggyback,
      heard: (updates, from) => merge(updates, { from }),
      decided: (rows) => this.merger.apply(rows),
      forget: (ids) => this.forget(ids),
    })
    this.merger = new Merger({
      view,
      clock,
      log,
      leaving: () => this.leaving,
      spread,
      detector: this.detector,
      ...(options.onImpostor && { impostor: options.onImpostor }),
    })
    this.inbound = new Inbound({
      view,
      piggyback,
      merge,
      probeFor: (target) => this.detector.probeFor(target),
      participating: () => !this.leaving,
      list: () => this.list(),
    })
    this.joining = new Joining({
      view,
      transport,
      clock,
      log,
      joinTimeoutMs: this.timing.joinTimeoutMs,
      leaving: () => this.leaving,
      stopping: () => this.stopping,
      rise: () => this.rise({ rejoin: true }),
      merge,
      spread,
    })
    this.unwatch = transport.watch(
      new Evidence({
        view,
        log,
        listening: () => this.isOpen && !this.leaving,
        checkSoon: (id) => this.detector.checkSoon(id),
      })
    )
  }

  get opened(): boolean {
    return this.isOpen
  }

  get canTalk(): boolean {
    return this.options.transport.canTalk
  }

  /** Loads the peer list, starts the detector, and (re)joins in the background. */
  async open({ advertise }: { advertise: string }): Promise<void> {
    this.address = advertise
    const { members, rejoin } = await this.options.store.list()
    this.view.load(members)
    const stored = this.view.get(this.view.selfId)
    const participating = rejoin || this.options.join.length > 0
    if (!this.canTalk) {
      // Without the key this node can neither sign nor check a peer's word: it runs alone.
      if (this.view.others('alive', 'suspect', 'failed').length > 0) {
        this.log.warn(
          'ALMACEN_CLUSTER_KEY is not set: this node knows peers but cannot talk to them; it runs alone'
        )
      }
      await this.rise({ rejoin, detect: false })
      this.isOpen = true
      return
    }
    if (!participating && stored) {
      this.leaving = true // an operator took this node out; it stays out until told to join
      this.isOpen = true
      return
    }
    await this.rise({ rejoin: true })
    this.isOpen = true
    const known = this.view.others('alive', 'suspect', 'failed').map((m) => m.address)
    this.joining
      .untilAnswered([...new Set([...this.options.join, ...known])])
      .catch((err: Error) => this.log.warn({ err }, 'joining at start stopped'))
  }

  /** On shutdown: leave (the node rejoins by itself when it starts again), then stop sending. */
  async close(): Promise<void> {
    this.stopping = true
    if (this.isOpen) {
      // A member answering a join in flight is one to say goodbye to.
      await this.joining.settled()
      await this.leave({ rejoin: true }).catch((err) => this.log.warn({ err }, 'leave failed'))
    }
    this.detector.stop()
    this.gossip.stop()
    this.unwatch()
  }

  /**
   * Calls `listener` after each committed change of a member's row (memberlist's event
   * delegate), this node's own included, with the row and the one before; in commit order,
   * never two at once. Members reaped long after they left or failed go without a call.
   * Returns the unsubscribe.
   */
  onChange(listener: (change: MemberChange) => void): () => void {
    return this.view.onChange((change) => {
      try {
        listener(change)
      } catch (err) {
        this.log.error({ err, member: change.member.id }, 'a membership listener failed')
      }
    })
  }

  /** A member's log head as it last said itself (in memory), and when this node heard it. */
  headOf(id: string): { head: LogPosition; at: number } | undefined {
    return this.view.headOf(id)
  }

  snapshot(): { members: Member[]; participating: boolean } {
    const byName = (a: Member, b: Member) =>
      a.name.localeCompare(b.name) || a.id.localeCompare(b.id)
    return { members: this.view.all().sort(byName), participating: !this.leaving }
  }

  list(): MemberList {
    const others = this.view.all().filter((m) => m.id !== this.view.selfId)
    return {
      self: this.view.toUpdate(this.view.self),
      members: others.map((m) => this.view.toUpdate(m)),
    }
  }

  live(id: string): LiveContact {
    const contact = this.view.contact(id)
    return {
      lastHeardAt: contact ? isoAt(this.clock, contact.at) : null,
      rttMs: contact?.rttMs === undefined ? null : Math.round(contact.rttMs * 10) / 10,
      problem: this.view.problem(id)?.text ?? null,
    }
  }

  join(addresses: string[]): Promise<JoinOutcome[]> {
    return this.joining.join(addresses)
  }

  async leave({ rejoin }: { rejoin: boolean }): Promise<LeaveOutcome> {
    // Two at once: the second is told what became of the first, its failure included, rather
    // than that the node has left while that is still unsure.
    if (this.leavingNow) return { ...(await this.leavingNow), alreadyLeft: true }
    if (this.leaving) return { acked: [], missed: [], alreadyLeft: true }
    this.leavingNow = this.leaveNow(rejoin)
    try {
      return await this.leavingNow
    } finally {
      this.leavingNow = undefined
    }
  }

  private async leaveNow(rejoin: boolean): Promise<LeaveOutcome> {
    const detecting = this.detector.started
    this.leaving = true
    this.detector.stop()
    const [self] = await this.merger
      .writeSelf(
        (current) => ({ ...(current as Member), state: 'left', stateChangedAt: isoAt(this.clock) }),
        { rejoin }
      )
      .catch((err: unknown) => {
        // Nothing was saved and no member told: this node is still one, so it goes on as one.
        // Otherwise a retry would answer that it had left, it would stop probing (and be seen
        // failed), rejoin by itself at its next start, and skip its goodbye when it stops.
        this.leaving = false
        if (detecting) this.detector.start()
        throw err
      })
    const outcome = await this.gossip.announce([self], this.timing.leaveDeadlineMs)
    // A node alone (never joined, or every other member gone) had no network to leave.
    const alone = outcome.acked.length === 0 && outcome.missed.length === 0
    if (!alone) this.log.info(outcome, 'left the peer network')
    return outcome
  }

  /**
   * Serf's force-leave: an operator's word that a failed member is gone for good. It is marked
   * left at the incarnation it failed at, by the same rule every member applies to news (a left
   * outranks a failure at one incarnation), and announced to every live member. Only the member
   * itself raises its incarnation, so should it come back, its rise is newer and it rejoins.
   */
  async forceLeave(id: string): Promise<ForceLeaveOutcome> {
    const member = this.view.get(id)
    if (!member) return { ok: false, reason: 'unknown', text: `No member ${id} is known here` }
    if (id === this.view.selfId) {
      return { ok: false, reason: 'self', text: 'This is this node itself: use leave instead' }
    }
    if (member.state !== 'failed') {
      const text =
        member.state === 'left'
          ? `${member.name} has already left the network; nothing to do`
          : `${member.name} is ${member.state}, not failed: only a member this node sees as failed can be forced out (a member that is up leaves by itself)`
      return { ok: false, reason: member.state, text }
    }
    const update = { ...this.view.toUpdate(member), state: 'left' as const }
    const [row] = await this.merger.merge([update])
    if (!row) {
      const now = this.view.get(id)
      return {
        ok: false,
        reason: 'changed',
        text: `${member.name} changed meanwhile: it is ${now?.state ?? 'gone'}`,
      }
    }
    const outcome = await this.gossip.announce([row], this.timing.leaveDeadlineMs)
    this.log.info({ member: id, memberName: member.name, ...outcome }, 'member forced out')
    return { ok: true, member: row, ...outcome }
  }

  receive<K extends PeerKind>(
    kind: K,
    sender: string,
    message: PeerMessage<K>
  ): Promise<PeerAnswer<K>> {
    if (!this.isOpen) {
      return Promise.reject(new ProtocolError('NOT_READY', 'This node is still starting'))
    }
    return this.inbound.receive(kind, sender, message)
  }

  /** Becomes alive at a new incarnation, newer than anything said about this node's earlier life. */
  private async rise({ rejoin, detect = true }: { rejoin: boolean; detect?: boolean }) {
    const { id, name } = this.options.identity
    const address = this.address
    await this.merger.writeSelf(
      (current) => {
        const incarnation = current ? nextIncarnation(current.incarnation) : 0
        return this.view.toRow({ id, name, address, state: 'alive', incarnation })
      },
      { rejoin }
    )
    this.leaving = false
    if (detect) this.detector.start()
  }

  /** Forgets members that left or failed long ago (reaped). */
  private async forget(ids: string[]): Promise<void> {
    await this.options.store.reap(ids)
    this.view.forget(ids)
    this.log.info({ members: ids }, 'members reaped')
  }
}
