import type { Member } from '../../db/contract.ts'
import type { DbClient } from '../db-client.ts'
import type { Logger } from '../logger.ts'
import { Detector } from './detector.ts'
import { Disseminator } from './disseminator.ts'
import * as inbound from './inbound.ts'
import type {
  GossipMessage,
  JoinMessage,
  MemberList,
  PingMessage,
  PingReqMessage,
  SyncMessage,
} from './messages.ts'
import { PeerClient } from './peer-client.ts'
import { judge, type MemberUpdate } from './rules.ts'
import { DEFAULT_TIMING, type Timing } from './timing.ts'
import { MemberView } from './view.ts'

export interface MembershipOptions {
  db: DbClient
  log: Logger
  identity: { id: string; name: string }
  /** Base URL other nodes reach this one at (known once the server listens). */
  address?: string
  clusterKey?: string
  join: string[]
  timing?: Partial<Timing>
}

export interface JoinOutcome {
  address: string
  ok: boolean
  reason?: string
}

/**
 * This node's membership in the peer network: its peer list (committed to SQLite before any
 * change is acted on), the failure detector, and the spreading of news. SWIM in its structure,
 * with refusals told from silence and leaves acknowledged by every member.
 */
export class Membership {
  readonly view: MemberView
  readonly client: PeerClient
  readonly gossip: Disseminator
  readonly detector: Detector
  readonly timing: Timing
  leaving = false

  constructor(readonly options: MembershipOptions) {
    this.timing = { ...DEFAULT_TIMING, ...options.timing }
    this.view = new MemberView(options.db, options.identity.id)
    this.client = new PeerClient(options.clusterKey, options.identity.id, (address) =>
      this.connectionLost({ address })
    )
    this.gossip = new Disseminator(this.view, this.client, () => this.detector.timeoutMs)
    this.detector = new Detector(this)
  }

  /** False without a cluster key: this node can neither sign nor check a peer's word. */
  get canTalk(): boolean {
    return !!this.options.clusterKey
  }

  get log(): Logger {
    return this.options.log
  }

  /** True once the peer list is loaded and this node takes part (or knows it stays out). */
  opened = false

  /** Loads the peer list, starts the detector, and (re)joins in the background. */
  async open(address: string): Promise<void> {
    this.options.address = address
    const { data } = await this.options.db.call('members.list', {})
    const { members, rejoin } = data as { members: Member[]; rejoin: boolean }
    this.view.load(members)
    const stored = this.view.get(this.view.selfId)
    const participating = rejoin || this.options.join.length > 0
    if (!this.options.clusterKey) {
      // Without the key this node can neither sign nor check a peer's word: it runs alone.
      if (this.view.others('alive', 'suspect', 'failed').length > 0) {
        this.log.warn(
          'ALMACEN_CLUSTER_KEY is not set: this node knows peers but cannot talk to them; it runs alone'
        )
      }
      await this.rise(stored?.incarnation ?? -1, rejoin, false)
      this.opened = true
      return
    }
    if (!participating && stored) {
      this.leaving = true // an operator took this node out; it stays out until told to join
      this.opened = true
      return
    }
    await this.rise(stored?.incarnation ?? -1, true)
    this.opened = true
    const known = this.view.others('alive', 'suspect', 'failed').map((m) => m.address)
    void this.joinUntilAnswered([...new Set([...this.options.join, ...known])])
  }

  /** Becomes alive at a new incarnation, above anything said about this node's earlier life. */
  private async rise(above: number, rejoin: boolean, detect = true): Promise<void> {
    const { id, name } = this.options.identity
    const address = this.options.address as string
    const self = this.member({ id, name, address, state: 'alive', incarnation: above + 1 })
    await this.view.commit([self], rejoin)
    this.leaving = false
    if (detect) this.detector.start()
  }

  /**
   * Turns news into rows: accepted ones are committed, then spread (unless `spread` is false:
   * the sender told everyone itself); wrong news about this node is refuted.
   */
  async merge(updates: MemberUpdate[], spread = true): Promise<Member[]> {
    const rows: Member[] = []
    let refuteAt = 0
    for (const update of updates) {
      const verdict = judge(update, {
        selfId: this.view.selfId,
        selfIncarnation: this.view.self.incarnation,
        leaving: this.leaving,
        current: (id) => rows.find((r) => r.id === id) ?? this.view.get(id),
        heardAgoMs: (id) => this.view.heardAgoMs(id),
      })
      if (verdict.kind === 'accept') rows.push(this.member(verdict.member))
      if (verdict.kind === 'refute') refuteAt = Math.max(refuteAt, verdict.incarnation)
      if (verdict.kind === 'verify') this.detector.verify(update)
    }
    const applied = await this.apply(rows, spread)
    if (refuteAt > 0) {
      // Alive again at a higher incarnation; or, if this node is out, left at one.
      const self = {
        ...this.view.self,
        state: this.leaving ? ('left' as const) : ('alive' as const),
        incarnation: refuteAt,
      }
      // The accuser hears the refutation too: it goes to every member.
      applied.push(
        ...(await this.apply([
          { ...self, evidenceAt: null, stateChangedAt: new Date().toISOString() },
        ]))
      )
    }
    return applied
  }

  /** Commits rows, then acts on them: suspicion timers, and news for the other members. */
  async apply(rows: Member[], spread = true): Promise<Member[]> {
    if (rows.length === 0) return []
    const applied = await this.view.commit(rows)
    for (const member of applied) {
      if (member.id !== this.view.selfId) this.detector.track(member)
      this.log.info(
        {
          member: member.id,
          name: member.name,
          state: member.state,
          incarnation: member.incarnation,
        },
        `member ${member.state}`
      )
    }
    if (spread) this.gossip.spread(applied)
    return applied
  }

  /** A row for an update, as this node records it. */
  member(update: MemberUpdate): Member {
    const { id, name, address, state, incarnation, evidenceAgeMs } = update
    const evidenceAt =
      state === 'suspect' || state === 'failed'
        ? new Date(Date.now() - (evidenceAgeMs ?? 0)).toISOString()
        : null
    return {
      id,
      name,
      address,
      state,
      incarnation,
      evidenceAt,
      stateChangedAt: new Date().toISOString(),
    }
  }

  /** What this node has heard from a member itself: when, and the smoothed round trip. */
  live(id: string): { lastHeardAt: string | null; rttMs: number | null } {
    const contact = this.view.contact(id)
    return {
      lastHeardAt: contact ? new Date(contact.at).toISOString() : null,
      rttMs: contact?.rttMs === undefined ? null : Math.round(contact.rttMs * 10) / 10,
    }
  }

  // Messages from other nodes (handlers/peer/*), each from the node that signed it.
  onPing = (sender: string, m: PingMessage) => inbound.onPing(this, sender, m)
  onPingReq = (sender: string, m: PingReqMessage) => inbound.onPingReq(this, sender, m)
  onGossip = (sender: string, m: GossipMessage) => inbound.onGossip(this, sender, m)
  onSync = (sender: string, m: SyncMessage) => inbound.onSync(this, sender, m)
  onJoin = (sender: string, m: JoinMessage) => inbound.onJoin(this, sender, m)

  /** The peer list as committed, and whether this node takes part in the network now. */
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

  /**
   * Joins through these addresses (any one is enough). A node that left comes back only if one
   * of them answers: until then it stays out, and says so.
   */
  async join(addresses: string[], relay = true): Promise<JoinOutcome[]> {
    const self = this.view.self
    const asking = this.leaving
      ? { ...this.view.toUpdate(self), state: 'alive' as const, incarnation: self.incarnation + 1 }
      : this.view.toUpdate(self)
    const answers = await Promise.all(addresses.map((address) => this.ask(address, relay, asking)))
    const lists = answers.flatMap((a) => (a.list ? [a.list] : []))
    if (lists.length > 0 && this.leaving) await this.rise(self.incarnation, true)
    for (const list of lists) await this.absorb(list)
    return answers.map((a) => a.outcome)
  }

  private async ask(address: string, relay: boolean, member: MemberUpdate) {
    const message: JoinMessage = { member, relay }
    const answer = await this.client.post<MemberList>(address, '/peer/join', message, 3000)
    if (!answer.ok)
      return { outcome: { address, ok: false, reason: `${answer.reason}: ${answer.message}` } }
    if (answer.body.self.id === this.view.selfId) {
      return { outcome: { address, ok: false, reason: 'that address is this node' } }
    }
    this.view.heardFrom(answer.body.self.id, answer.rttMs)
    return { outcome: { address, ok: true }, list: answer.body }
  }

  /** Takes in a member's list (its answer to a join), and tells the others this node is here. */
  private async absorb(list: MemberList): Promise<void> {
    await this.merge([list.self, ...list.members])
    this.gossip.spread([this.view.self])
  }

  // At start the peers may still be starting too: keep trying until one of them answers.
  private async joinUntilAnswered(addresses: string[]): Promise<void> {
    for (
      let wait = 1000;
      addresses.length > 0 && !this.leaving;
      wait = Math.min(wait * 2, 30_000)
    ) {
      const known = (a: string) => this.view.all().some((m) => m.address === a)
      const outcomes = await Promise.all(
        addresses.map((a) => this.join([a], !known(a)).then(([o]) => o))
      )
      if (outcomes.some((o) => o.ok)) return
      this.log.warn({ outcomes }, 'no peer answered the join; trying again')
      await new Promise((resolve) => setTimeout(resolve, wait).unref())
    }
  }

  /** Leaves the network: every member is told, and acknowledges, before this returns. */
  async leave(rejoin: boolean): Promise<{ acked: string[]; missed: string[]; alreadyLeft?: true }> {
    if (this.leaving) return { acked: [], missed: [], alreadyLeft: true }
    this.leaving = true
    this.detector.stop()
    const [self] = await this.view.commit(
      [{ ...this.view.self, state: 'left', stateChangedAt: new Date().toISOString() }],
      rejoin
    )
    const outcome = await this.gossip.announce([self], this.timing.leaveDeadlineMs)
    this.log.info(outcome, 'left the peer network')
    return outcome
  }

  /**
   * A connection to or from a member closed from its side: a crashed process closes them all at
   * once, so look now rather than at the next probe round.
   */
  connectionLost(which: { id?: string; address?: string }): void {
    if (this.leaving || !this.opened) return
    const member = which.id
      ? this.view.get(which.id)
      : this.view.all().find((m) => m.address === which.address)
    if (
      member &&
      member.id !== this.view.selfId &&
      (member.state === 'alive' || member.state === 'suspect')
    ) {
      this.detector.checkSoon(member.id)
    }
  }

  /** Forgets members that left or failed long ago (reaped). */
  async forget(ids: string[]): Promise<void> {
    await this.options.db.call('members.reap', { ids })
    this.view.forget(ids)
    this.log.info({ members: ids }, 'members reaped')
  }

  /** On shutdown: leave (the node rejoins by itself when it starts again), then stop sending. */
  async stop(): Promise<void> {
    if (!this.opened) return
    await this.leave(true).catch((err) => this.log.warn({ err }, 'leave failed'))
    this.detector.stop()
    this.gossip.stop()
    this.client.close()
  }
}
