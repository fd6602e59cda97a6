import type { Logger } from 'pino'
import type { Member } from '../../db/contract/index.ts'
import { systemClock, type Clock } from '../clock.ts'
import type { MemberChange } from '../membership/view.ts'
import type { Transport } from '../transport/transport.ts'
import type { LogPosition } from './messages.ts'
import { DEFAULT_PULL, Puller, type PullStatus, type PullTiming } from './puller.ts'
import type { ReplicaStore } from './store.ts'
import { askWitnesses, type OwnLedger, type Witness, type WitnessReport } from './witnesses.ts'

/** What replication needs of the membership: the peers, their changes, the heads they gossip. */
export interface MembershipView {
  snapshot(): { members: Member[] }
  onChange(listener: (change: MemberChange) => void): () => void
  headOf(id: string): { head: LogPosition; at: number } | undefined
}

export interface ReplicationOptions {
  selfId: string
  membership: MembershipView
  transport: Transport
  store: ReplicaStore
  log: Logger
  clock?: Clock
  timing?: Partial<PullTiming>
  /**
   * The start-up check's second half: this node's ledger as it stands, compared with what each
   * peer holds of it the first time the peer is seen alive; `disagrees` hears of every witness
   * that differs. Without it, no check at start.
   */
  witnessAtStart?: { own: () => Promise<OwnLedger>; disagrees: (w: Witness) => Promise<void> }
}

/** One peer's replication as this node sees it now. */
export interface PeerReplication extends PullStatus {
  nodeId: string
  name: string
  /** The owner's state to membership: a suspect one may be frozen while a long-poll waits on it. */
  memberState?: Member['state']
}

/** Replication as handlers see it (ctx.replication). */
export interface ReplicationApi {
  /** Every peer this node follows or followed since it started, by node id. */
  peers(): PeerReplication[]
  /** What the alive peers hold of this node's ledger, compared with it (its witnesses). */
  witness(own: OwnLedger): Promise<WitnessReport>
  /**
   * The replica of `nodeId` was dropped (replicas.reseed): its puller forgets what it knew and
   * follows the owner afresh, from the start of its log, if membership sees it alive.
   */
  refollow(nodeId: string): void
}

/**
 * Every node keeps a replica of every peer's log: one puller per member, started the moment
 * membership sees it alive, paused while it is failed or left, resumed (at once, from the
 * committed cursor) when it is seen alive again. A node that left follows nobody until it joins
 * again: its pullers pause with it.
 */
export class Replication implements ReplicationApi {
  readonly name = 'replication'
  private readonly pullers = new Map<string, { puller: Puller; member: Member }>()
  /** This node left the network (membership's word on itself): it asks no peer for its log. */
  private out = false
  private unsubscribe: (() => void) | null = null
  /** Peers already asked by the start-up check. */
  private readonly witnessed = new Set<string>()
  private readonly timing: PullTiming
  private readonly clock: Clock

  constructor(private readonly options: ReplicationOptions) {
    this.timing = { ...DEFAULT_PULL, ...options.timing }
    this.clock = options.clock ?? systemClock
  }

  async open(): Promise<void> {
    this.unsubscribe = this.options.membership.onChange(({ member }) => this.changed(member))
    // This node's own state first: one that left starts no puller, even for a moment.
    const { members } = this.options.membership.snapshot()
    const self = (m: Member) => m.id === this.options.selfId
    for (const member of [...members.filter(self), ...members.filter((m) => !self(m))]) {
      this.changed(member)
    }
  }

  async close(): Promise<void> {
    this.unsubscribe?.()
    for (const { puller } of this.pullers.values()) puller.stop()
  }

  peers(): PeerReplication[] {
    return [...this.pullers.values()].map(({ puller, member }) => ({
      nodeId: member.id,
      name: member.name,
      memberState: member.state,
      ...puller.status(),
    }))
  }

  refollow(nodeId: string): void {
    const entry = this.pullers.get(nodeId)
    if (!entry) return
    entry.puller.forget()
    if (entry.member.state === 'alive' && !this.out) entry.puller.resume()
  }

  witness(own: OwnLedger): Promise<WitnessReport> {
    const { transport, selfId, membership } = this.options
    const peers = membership.snapshot().members.filter((m) => m.state === 'alive')
    return askWitnesses({ transport, selfId, peers, own })
  }

  /**
   * The start check's witness: asked once, the first time the peer is seen alive. One that gave
   * no word (silent: down, timed out, no replica yet) is asked again the next time membership
   * sees it alive, so a peer stored alive but down at start still witnesses when it is back.
   */
  private async witnessOnce(member: Member): Promise<void> {
    const check = this.options.witnessAtStart
    if (!check || this.witnessed.has(member.id)) return
    this.witnessed.add(member.id)
    const { transport, selfId, log, membership } = this.options
    try {
      const own = await check.own()
      // No longer alive while the ledger was read: not asked now, but the next time it is.
      const now = membership.snapshot().members.find((m) => m.id === member.id)
      if (now?.state !== 'alive') return void this.witnessed.delete(member.id)
      const report = await askWitnesses({ transport, selfId, peers: [now], own })
      for (const w of report.witnesses) {
        if (w.verdict === 'silent') this.witnessed.delete(member.id)
        if (w.verdict === 'differs') await check.disagrees(w)
        else log.info({ witness: w }, `witness at start: ${w.message}`)
      }
    } catch (err) {
      log.warn({ err, peer: member.id }, 'the start check could not ask a witness')
    }
  }

  private changed(member: Member): void {
    if (member.id === this.options.selfId) return this.selfChanged(member)
    if (member.state === 'alive' && !this.out) void this.witnessOnce(member)
    let entry = this.pullers.get(member.id)
    if (entry) entry.member = member
    if (member.state === 'alive') {
      if (!entry)
        this.pullers.set(member.id, (entry = { puller: this.pullerFor(member.id), member }))
      if (!this.out) entry.puller.resume()
    } else if (member.state === 'failed' || member.state === 'left') {
      entry?.puller.pause(
        `membership says ${member.name || member.id} ${member.state === 'left' ? 'left' : 'failed'}: not asked until it is alive again`
      )
    }
  }

  /**
   * This node left (an operator's leave, kept across restarts): every puller pauses, and a
   * stopping peer's feed is not asked again and again. Joined again: those alive resume.
   */
  private selfChanged(self: Member): void {
    const out = self.state === 'left'
    if (out === this.out) return
    this.out = out
    for (const { puller, member } of this.pullers.values()) {
      if (out) puller.pause('this node left the network: it follows no one until it joins again')
      else if (member.state === 'alive') puller.resume()
    }
  }

  private pullerFor(id: string): Puller {
    const { transport, store, log, membership } = this.options
    return new Puller({
      owner: () => this.pullers.get(id)?.member as Member,
      transport,
      store,
      clock: this.clock,
      log,
      timing: this.timing,
      gossipHead: () => membership.headOf(id)?.head,
    })
  }
}
