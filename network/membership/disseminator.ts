import type { Member } from '../../db/contract/index.ts'
import type { Clock, Timer } from '../clock.ts'
import type { PeerFailure, Transport } from '../transport/transport.ts'
import { PEER_MESSAGES, type GossipMessage } from './messages.ts'
import type { MemberUpdate } from './rules.ts'
import { shuffle } from './shuffle.ts'
import type { MemberView } from './view.ts'

export interface DisseminatorDeps {
  view: MemberView
  transport: Transport
  clock: Clock
  random: () => number
  /** How long to wait for a member's answer (the detector's measure of the round trip). */
  timeoutMs(): number
}

/** Members a gossip round sends to, picked at random. */
const FANOUT = 3
/** Time between gossip rounds while there is news to spread. */
const ROUND_MS = 100
/** Each piece of news is sent this many times per order of magnitude of the network's size. */
const RETRANSMIT_MULT = 3
/** At most this much news in one message (the most recent first). */
const MAX_UPDATES = 32
/** An announcement that ended so is not retried: trying again before the deadline changes nothing. */
const FINAL = new Set<PeerFailure['reason']>([
  'refused',
  'unauthorized',
  'bogus',
  'wrong-node',
  'clock-skew',
])

/**
 * Spreads membership news the epidemic way (SWIM): every round, the news still to tell goes to a
 * few random members, and also rides along on probes and their answers; each piece is sent a
 * bounded number of times (more in a larger network), and whoever learns it spreads it too. The
 * load is bounded however much changes at once (a join storm, a crash seen by everyone), and
 * news reaches everyone in a few rounds. The periodic sync repairs whatever is still missed; a
 * leave, which must not be missed, is announced to every member and acknowledged.
 */
export class Disseminator {
  /** Member id → transmissions left for the latest news about it. */
  private readonly news = new Map<string, number>()
  private timer: Timer | null = null
  private stopped = false
  private readonly view: MemberView

  constructor(private readonly deps: DisseminatorDeps) {
    this.view = deps.view
  }

  private get budget(): number {
    const n = this.view.all().length
    return RETRANSMIT_MULT * Math.max(1, Math.ceil(Math.log10(n + 1)))
  }

  /** Queues news about these members (the latest state of each is what is sent). */
  spread(members: Member[]): void {
    for (const member of members) {
      this.news.delete(member.id) // the freshest news goes first
      this.news.set(member.id, this.budget)
    }
    this.schedule(5)
  }

  /** News to ride along on a probe or its answer; each counts as one transmission. */
  piggyback(): MemberUpdate[] {
    return this.take(8)
  }

  private take(max: number): MemberUpdate[] {
    const updates: MemberUpdate[] = []
    for (const [id, left] of [...this.news].reverse()) {
      if (updates.length >= max) break
      const member = this.view.get(id)
      if (!member) {
        this.news.delete(id)
        continue
      }
      updates.push(this.view.toUpdate(member))
      if (left <= 1) this.news.delete(id)
      else this.news.set(id, left - 1)
    }
    return updates
  }

  /** Sends news to every other live member and waits for each to acknowledge, retrying until the deadline. */
  async announce(
    members: Member[],
    deadlineMs: number
  ): Promise<{ acked: string[]; missed: string[] }> {
    const { clock, transport } = this.deps
    const deadline = clock.now() + deadlineMs
    const message = (): GossipMessage => ({
      from: this.view.toUpdate(this.view.self),
      updates: members.map((m) => this.view.toUpdate(m)),
    })
    const targets = this.view.others('alive', 'suspect')
    const results = await Promise.all(
      targets.map(async (target) => {
        while (clock.now() < deadline) {
          const left = Math.max(50, deadline - clock.now())
          const sent = await transport.call({
            kind: PEER_MESSAGES.gossip,
            address: target.address,
            to: target.id,
            body: message(),
            timeoutMs: Math.min(left, this.deps.timeoutMs()),
          })
          if (sent.ok) return true
          if (FINAL.has(sent.reason)) return false
        }
        return false
      })
    )
    return {
      acked: targets.filter((_, i) => results[i]).map((t) => t.id),
      missed: targets.filter((_, i) => !results[i]).map((t) => t.id),
    }
  }

  stop(): void {
    this.stopped = true
    if (this.timer) this.deps.clock.clearTimeout(this.timer)
    this.timer = null
    this.news.clear()
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.news.size === 0) return
    this.timer ??= this.deps.clock.setTimeout(() => {
      this.timer = null
      void this.round()
    }, delayMs)
  }

  private async round(): Promise<void> {
    // A suspect is told of its suspicion first: it is the one member that can refute it, and the
    // others, who check an accusation before they believe it (rules.ts), do not pass it on.
    const accused = [...this.news.keys()]
      .map((id) => this.view.get(id))
      .filter((m): m is Member => m?.state === 'suspect' && m.id !== this.view.selfId)
    const others = this.view.others('alive', 'suspect').filter((m) => !accused.includes(m))
    const targets = [...accused, ...shuffle(others, this.deps.random).slice(0, FANOUT)]
    await Promise.all(
      targets.map(async (target) => {
        const updates = this.take(MAX_UPDATES)
        if (updates.length === 0) return
        const message: GossipMessage = { from: this.view.toUpdate(this.view.self), updates }
        const sent = await this.deps.transport.call({
          kind: PEER_MESSAGES.gossip,
          address: target.address,
          to: target.id,
          body: message,
          timeoutMs: this.deps.timeoutMs(),
        })
        if (sent.ok) this.view.heardFrom(target.id)
      })
    )
    this.schedule(ROUND_MS)
  }
}
