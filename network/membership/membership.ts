import type { Member } from '../../db/contract.ts'
import type { DbClient } from '../../runtime/db-client.ts'
import type { Logger } from '../../runtime/logger.ts'
import { Detector } from './detector.ts'
import { Disseminator } from './disseminator.ts'
import * as inbound from './inbound.ts'
import * as joining from './joining.ts'
import type {
  GossipMessage,
  JoinMessage,
  MemberList,
  PingMessage,
  PingReqMessage,
  SyncMessage,
} from './messages.ts'
import { describeSkew, PeerAuth } from '../transport/peer-auth.ts'
import { PeerClient, type PeerOutcome } from '../transport/http-transport.ts'
import { judge, newer, nextIncarnation, type MemberUpdate } from './rules.ts'
import { ANY_RECEIVER } from '../transport/signing.ts'
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

/**
 * This node's membership in the peer network: its peer list (committed to SQLite before any
 * change is acted on), the failure detector, and the spreading of news. SWIM in its structure,
 * with refusals told from silence and leaves acknowledged by every member.
 */
export class Membership {
  readonly view: MemberView
  readonly client: PeerClient
  /** Checks the signature, receiver, freshness and nonce of requests from other nodes. */
  readonly auth: PeerAuth
  readonly gossip: Disseminator
  readonly detector: Detector
  readonly timing: Timing
  leaving = false

  constructor(readonly options: MembershipOptions) {
    this.timing = { ...DEFAULT_TIMING, ...options.timing }
    this.view = new MemberView(options.db, options.identity.id)
    this.client = new PeerClient({
      key: options.clusterKey,
      selfId: options.identity.id,
      onLost: (address) => this.connectionLost({ address }),
      onOutcome: (to, outcome) => this.answered(to, outcome),
    })
    this.auth = new PeerAuth({
      key: options.clusterKey,
      selfId: options.identity.id,
      onClockSkew: (sender, skewMs) =>
        this.troubled(sender, 'clock-skew', `clock is ${describeSkew(skewMs)} this node's`),
    })
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
      await this.rise(rejoin, false)
      this.opened = true
      return
    }
    if (!participating && stored) {
      this.leaving = true // an operator took this node out; it stays out until told to join
      this.opened = true
      return
    }
    await this.rise(true)
    this.opened = true
    const known = this.view.others('alive', 'suspect', 'failed').map((m) => m.address)
    void joining.joinUntilAnswered(this, [...new Set([...this.options.join, ...known])])
  }

  /** Becomes alive at a new incarnation, newer than anything said about this node's earlier life. */
  async rise(rejoin: boolean, detect = true): Promise<void> {
    const { id, name } = this.options.identity
    const address = this.options.address as string
    await this.writeSelf((current) => {
      const incarnation = current ? nextIncarnation(current.incarnation) : 0
      return this.member({ id, name, address, state: 'alive', incarnation })
    }, rejoin)
    this.leaving = false
    if (detect) this.detector.start()
  }

  private selfWrites: Promise<unknown> = Promise.resolve()

  /**
   * Changes this node's own record, one change at a time: each is made from the record as
   * committed when its turn comes, so a rise, a refutation and a leave that race each other
   * (a join answered while news of it arrives) build on each other instead of undoing each other.
   */
  private writeSelf(
    change: (current: Member | undefined) => Member,
    rejoin?: boolean
  ): Promise<Member[]> {
    const write = this.selfWrites.then(() =>
      this.view.commit([change(this.view.get(this.view.selfId))], rejoin)
    )
    this.selfWrites = write.catch(() => undefined)
    return write
  }

  /**
   * Turns news into rows: accepted ones are committed, then spread (unless `spread` is false:
   * the sender told everyone itself); wrong news about this node is refuted. `from` is the node
   * whose signed word this is: only news about itself may move its incarnation far.
   */
  async merge(
    updates: MemberUpdate[],
    { from, spread = true }: { from?: string; spread?: boolean } = {}
  ): Promise<Member[]> {
    const rows: Member[] = []
    let refuteAt: number | undefined
    const judgedAt = this.view.self.incarnation
    for (const update of updates) {
      const verdict = judge(update, {
        selfId: this.view.selfId,
        selfIncarnation: judgedAt,
        leaving: this.leaving,
        from,
        current: (id) => rows.find((r) => r.id === id) ?? this.view.get(id),
        heardAgoMs: (id) => this.view.heardAgoMs(id),
      })
      if (verdict.kind === 'accept') rows.push(this.member(verdict.member))
      if (
        verdict.kind === 'refute' &&
        (refuteAt === undefined || newer(verdict.incarnation, refuteAt))
      )
        refuteAt = verdict.incarnation
      if (verdict.kind === 'verify') this.detector.verify(update)
      if (verdict.kind === 'bogus')
        this.log.warn({ from, news: update }, `bogus news refused: it ${verdict.reason}`)
    }
    const applied = await this.apply(rows, spread)
    if (refuteAt !== undefined) {
      const at = refuteAt
      // Alive again at a newer incarnation; or, if this node is out, left at one. Should this
      // node have risen, left or refuted meanwhile, the refutation builds on that.
      const refuted = await this.writeSelf((current) => {
        const self = current as Member
        const moved = self.incarnation !== judgedAt && !newer(at, self.incarnation)
        return {
          ...self,
          state: self.state === 'left' ? 'left' : 'alive',
          incarnation: moved ? nextIncarnation(self.incarnation) : at,
          evidenceAt: null,
          stateChangedAt: new Date().toISOString(),
        }
      })
      // The accuser hears the refutation too: it goes to every member.
      applied.push(...this.acted(refuted, true))
    }
    return applied
  }

  /** Commits rows, then acts on them: suspicion timers, and news for the other members. */
  async apply(rows: Member[], spread = true): Promise<Member[]> {
    if (rows.length === 0) return []
    return this.acted(await this.view.commit(rows), spread)
  }

  private acted(applied: Member[], spread: boolean): Member[] {
    for (const member of applied) {
      if (member.id !== this.view.selfId) this.detector.track(member)
      this.log.info(
        {
          member: member.id,
          // Not `name`: pino-pretty would print it as the logger's name.
          memberName: member.name,
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

  /**
   * What this node has heard from a member itself: when, the smoothed round trip, and a problem
   * its state does not tell (a clock too far from ours, an address that answers wrongly).
   */
  live(id: string): { lastHeardAt: string | null; rttMs: number | null; problem: string | null } {
    const contact = this.view.contact(id)
    return {
      lastHeardAt: contact ? new Date(contact.at).toISOString() : null,
      rttMs: contact?.rttMs === undefined ? null : Math.round(contact.rttMs * 10) / 10,
      problem: this.view.problem(id)?.text ?? null,
    }
  }

  /** How a call to a member ended: a problem with it is recorded, and cleared once it answers well. */
  private answered(to: string, outcome: PeerOutcome<unknown>): void {
    if (to === ANY_RECEIVER) return
    if (outcome.ok) return this.view.clearProblem(to)
    if (outcome.reason === 'clock-skew') {
      const skew = outcome.skewMs === undefined ? 'too far from' : describeSkew(-outcome.skewMs)
      this.troubled(to, 'clock-skew', `clock is ${skew} this node's`)
    }
    if (outcome.reason === 'bogus' || outcome.reason === 'wrong-node') {
      this.troubled(to, 'answer', `its address ${joining.NOT_A_MEMBER}: ${outcome.message}`)
    }
  }

  /** Records a problem with a member, in its list entry and (once) in the log. */
  private troubled(id: string, kind: 'clock-skew' | 'answer', what: string): void {
    const member = this.view.get(id)
    if (!member) return
    const text = kind === 'clock-skew' ? `clock skew: ${member.name}'s ${what}` : what
    if (this.view.problem(id)?.text !== text) {
      this.log.warn({ member: id, memberName: member.name }, text)
    }
    this.view.setProblem(id, { kind, text, incarnation: member.incarnation })
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

  /** Joins through these addresses: see joining.ts. */
  join = (addresses: string[]) => joining.join(this, addresses)

  /** Leaves the network: every member is told, and acknowledges, before this returns. */
  async leave(rejoin: boolean): Promise<{ acked: string[]; missed: string[]; alreadyLeft?: true }> {
    if (this.leaving) return { acked: [], missed: [], alreadyLeft: true }
    this.leaving = true
    this.detector.stop()
    const [self] = await this.writeSelf(
      (current) => ({
        ...(current as Member),
        state: 'left',
        stateChangedAt: new Date().toISOString(),
      }),
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
