import type { Logger } from 'pino'
import type { Member } from '../../db/contract/index.ts'
import { isoAt, type Clock, type Timer } from '../clock.ts'
import type { PeerFailure, Transport } from '../transport/transport.ts'
import { PEER_MESSAGES, type PingReqAnswer } from './messages.ts'
import { Prober } from './probe.ts'
import { judgeProbe, type MemberUpdate } from './rules.ts'
import { shuffle } from './shuffle.ts'
import { Suspicions } from './suspicion.ts'
import type { Timing } from './timing.ts'
import type { MemberView } from './view.ts'

/** A direct probe that ended so needs no helper's opinion: the address itself answered. */
const DECISIVE = new Set<PeerFailure['reason']>(['wrong-node', 'bogus', 'clock-skew'])

export interface DetectorDeps {
  view: MemberView
  transport: Transport
  timing: Timing
  clock: Clock
  random: () => number
  log: Logger
  /** News to ride along on a probe. */
  piggyback(): MemberUpdate[]
  /** News heard in an answer; `from`: the member whose own signed word it is. */
  heard(updates: MemberUpdate[], from?: string): Promise<unknown>
  /** The detector's verdicts (suspect, failed, an accusation confirmed): committed, acted on. */
  decided(rows: Member[]): Promise<unknown>
  /** Members that left or failed long ago. */
  forget(ids: string[]): Promise<void>
}

/**
 * The failure detector: every interval it probes one member (round robin); a member it cannot
 * reach is probed through others; a refusal confirmed by nobody's ack fails it at once, silence
 * makes it a suspect that fails only if it stays silent. Failed members are probed again so
 * they come back by themselves, except one whose address answered as something other than a
 * member of this network: it is left alone until newer news about it arrives.
 */
export class Detector {
  private running = false
  /** Counts starts: a loop belongs to the start that began it. */
  private generation = 0
  private order: string[] = []
  private failedOrder: string[] = []
  private readonly probing = new Set<string>()
  private readonly verifying = new Set<string>()
  private readonly suspicions: Suspicions
  private readonly prober: Prober
  /** The next round of each loop, pending. */
  private readonly loops = new Set<Timer>()
  /** When each member was last probed out of turn, and the out-of-turn probes put off. */
  private readonly outOfTurn = new Map<string, number>()
  private readonly deferred = new Map<string, Timer>()

  constructor(private readonly deps: DetectorDeps) {
    this.prober = new Prober(deps)
    this.suspicions = new Suspicions({
      view: deps.view,
      clock: deps.clock,
      timing: deps.timing,
      // A store that is down (the worker restarting) refuses the write: said, never unhandled,
      // and the suspect timed again (a probe round that finds it silent changes nothing).
      expired: (suspect, lastWordAt) =>
        void this.declare(suspect, 'failed', lastWordAt).catch((err) => {
          deps.log.warn({ err, member: suspect.id }, 'could not declare a suspect failed')
          const now = deps.view.get(suspect.id)
          if (now) this.suspicions.track(now)
        }),
    })
  }

  /** The probe timeout: a multiple of the measured round trip, within bounds. */
  get timeoutMs(): number {
    return this.prober.timeoutMs
  }

  /** Answers a ping-req: probes a member this node knows, at the address it knows, for another. */
  probeFor(target: Member): Promise<PingReqAnswer> {
    return this.prober.probeFor(target)
  }

  /** Between a start and a stop. */
  get started(): boolean {
    return this.running
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.generation++
    this.suspicions.start()
    // The suspects first (popped from the end): a stored suspicion is news to nobody, and this
    // node's probe, which says it is suspected, is how a live suspect learns of it and refutes.
    const { view, random } = this.deps
    const others = shuffle(
      view.others('alive', 'suspect').map((m) => m.id),
      random
    )
    const suspected = (id: string) => view.get(id)?.state === 'suspect'
    this.order = [...others.filter((id) => !suspected(id)), ...others.filter(suspected)]
    const { probeIntervalMs, reconnectIntervalMs, syncIntervalMs, reapIntervalMs } =
      this.deps.timing
    this.every(probeIntervalMs, () => this.probeNext())
    this.every(reconnectIntervalMs, () => this.reconnectNext())
    this.every(syncIntervalMs, () => this.syncOne())
    this.every(reapIntervalMs, () => this.reap())
  }

  stop(): void {
    this.running = false
    for (const timer of [...this.loops, ...this.deferred.values()])
      this.deps.clock.clearTimeout(timer)
    this.loops.clear()
    this.deferred.clear()
    this.suspicions.stop()
  }

  /** A member changed: keep a timer on every suspect, and none on anyone else. */
  track(member: Member): void {
    this.suspicions.track(member)
  }

  // Each loop waits for its round to finish before the next is due, so rounds never pile up. A
  // round still out when the detector stops and starts again (a leave, then a join answered)
  // ends its loop: the start began new ones.
  private every(intervalMs: number, round: () => Promise<void>): void {
    const { clock, log } = this.deps
    const generation = this.generation
    const schedule = (delayMs: number): void => {
      const loop = async () => {
        this.loops.delete(timer)
        const started = clock.now()
        await round().catch((err) => log.warn({ err }, 'membership round failed'))
        if (this.running && this.generation === generation)
          schedule(Math.max(0, intervalMs - (clock.now() - started)))
      }
      const timer = clock.setTimeout(loop, delayMs)
      this.loops.add(timer)
    }
    schedule(this.deps.random() * intervalMs)
  }

  /**
   * Probes a member out of turn (a connection to it closed): now, unless it was probed out of
   * turn less than a probe interval ago; then once, when that interval is over. A path that
   * closes every connection after one answer (a proxy without keep-alive) would otherwise have
   * each probe's close start the next: hundreds of pings a second between idle nodes.
   */
  checkSoon(id: string): void {
    if (!this.running || this.deferred.has(id)) return
    const { clock, timing, log } = this.deps
    const wait = (this.outOfTurn.get(id) ?? -Infinity) + timing.probeIntervalMs - clock.now()
    const probe = () => {
      const member = this.deps.view.get(id)
      // Put off, it may find the member failed or gone meanwhile: those have rounds of their own.
      if (!this.running || (member?.state !== 'alive' && member?.state !== 'suspect')) return
      this.outOfTurn.set(id, clock.now())
      void this.probe(member).catch((err) => log.warn({ err }, 'probe failed'))
    }
    if (wait <= 0) return probe()
    const timer = clock.setTimeout(() => {
      this.deferred.delete(id)
      probe()
    }, wait)
    this.deferred.set(id, timer)
  }

  /**
   * News accuses a member, but this node heard from it after the accuser's evidence: ask the
   * member itself before believing it. Believed only if it does not answer now either.
   */
  verify(accusation: MemberUpdate): void {
    const { view, clock, timing, log } = this.deps
    const member = view.get(accusation.id)
    const heardAgo = view.heardAgoMs(accusation.id) ?? Infinity
    if (!this.running || !member || this.verifying.has(member.id)) return
    if (heardAgo < timing.probeIntervalMs) return // it spoke a moment ago
    this.verifying.add(member.id)
    const sentAt = clock.now()
    void this.prober
      .ping(member)
      .then(async (answer) => {
        if (answer.ok || this.frozenSince(sentAt) || !this.running) return
        await this.deps.decided([view.toRow(accusation)])
      })
      .catch((err) => log.warn({ err }, 'verification failed'))
      .finally(() => this.verifying.delete(member.id))
  }

  private async probeNext(): Promise<void> {
    const { view, random } = this.deps
    for (;;) {
      if (this.order.length === 0) {
        this.order = shuffle(
          view.others('alive', 'suspect').map((m) => m.id),
          random
        )
        if (this.order.length === 0) return
      }
      const member = view.get(this.order.pop() as string)
      if (member && (member.state === 'alive' || member.state === 'suspect'))
        return this.probe(member)
    }
  }

  private async probe(target: Member): Promise<void> {
    if (this.probing.has(target.id)) return
    this.probing.add(target.id)
    try {
      const sentAt = this.deps.clock.now()
      const direct = await this.prober.ping(target)
      if (direct.ok || !this.running || this.frozenSince(sentAt)) return
      // Refused, signed by it, as sent before it started (it has just restarted, and this node's
      // clock is behind its own within the skew allowed): its own word that it is up.
      if (direct.code === 'TOO_EARLY') return
      // What answered at that address settles it: no second opinion.
      const answers = DECISIVE.has(direct.reason) ? [] : await this.prober.indirect(target)
      const indirect = answers.map(
        (a) => a && { result: a.result, leftAt: a.view?.state === 'left' ? a.view : undefined }
      )
      const verdict = judgeProbe({
        direct: direct.reason,
        indirect,
        state: target.state,
        frozen: this.frozenSince(sentAt),
      })
      if (verdict === 'alive') {
        const acked = answers.find((a) => a?.result === 'ack' && a.self)
        if (acked?.self) await this.deps.heard([acked.self])
      }
      if (verdict === 'left')
        await this.deps.heard([indirect.find((a) => a?.leftAt)?.leftAt as MemberUpdate])
      if (verdict === 'failed') await this.declare(target, 'failed', direct.at)
      if (verdict === 'suspect')
        await this.declare(target, 'suspect', this.deps.view.contact(target.id)?.at ?? sentAt)
    } finally {
      this.probing.delete(target.id)
    }
  }

  /** True when this process could not have run for a while (a freeze, a starved CPU). */
  private frozenSince(sentAt: number): boolean {
    return this.deps.clock.now() - sentAt > 2 * this.timeoutMs + this.deps.timing.lateMs
  }

  private async declare(
    target: Member,
    state: 'suspect' | 'failed',
    evidenceAt: number
  ): Promise<void> {
    const { view, clock } = this.deps
    const current = view.get(target.id)
    if (!current || current.incarnation !== target.incarnation || current.state === 'left') return
    if (current.state === 'failed' || (state === 'suspect' && current.state !== 'alive')) return
    await this.deps.decided([
      {
        ...current,
        state,
        evidenceAt: isoAt(clock, evidenceAt),
        stateChangedAt: isoAt(clock),
      },
    ])
  }

  private async reconnectNext(): Promise<void> {
    const { view, random } = this.deps
    if (this.failedOrder.length === 0) {
      const failed = view.others('failed').filter((m) => !this.prober.isShunned(m))
      this.failedOrder = shuffle(
        failed.map((m) => m.id),
        random
      )
    }
    const member = view.get(this.failedOrder.pop() ?? '')
    if (member?.state === 'failed' && !this.prober.isShunned(member)) await this.prober.ping(member)
  }

  private async syncOne(): Promise<void> {
    const { view, transport, random } = this.deps
    const [peer] = shuffle(view.others('alive'), random)
    if (!peer) return
    const members = view.all().map((m) => view.toUpdate(m))
    const answer = await transport.call({
      kind: PEER_MESSAGES.sync,
      address: peer.address,
      to: peer.id,
      body: { from: view.toUpdate(view.self), members },
      timeoutMs: 2000,
    })
    if (!answer.ok) return
    view.heardFrom(peer.id, answer.rttMs)
    await this.deps.heard(answer.body.members, peer.id)
  }

  private async reap(): Promise<void> {
    const { view, clock, timing } = this.deps
    const now = clock.now()
    const old = view.others('left', 'failed').filter((m) => {
      const age = now - Date.parse(m.stateChangedAt)
      return age > (m.state === 'left' ? timing.reapLeftMs : timing.reapFailedMs)
    })
    if (old.length === 0) return
    await this.deps.forget(old.map((m) => m.id))
    for (const { id } of old) this.outOfTurn.delete(id)
  }
}
