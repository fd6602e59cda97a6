import type { Member } from '../../db/contract.ts'
import type { Membership } from './membership.ts'
import {
  pingAck,
  pingReqAnswer,
  syncAnswer,
  type PingAck,
  type PingMessage,
  type PingReqAnswer,
  type PingReqMessage,
} from './messages.ts'
import type { PeerFailure, PeerOutcome } from '../transport/http-transport.ts'
import { judgeProbe, suspicionExpired, type MemberUpdate } from './rules.ts'
import { shuffle } from './shuffle.ts'

/** A direct probe that ended so needs no helper's opinion: the address itself answered. */
const DECISIVE = new Set<PeerFailure['reason']>(['wrong-node', 'bogus', 'clock-skew'])

/**
 * The failure detector: every interval it probes one member (round robin); a member it cannot
 * reach is probed through others; a refusal confirmed by nobody's ack fails it at once, silence
 * makes it a suspect that fails only if it stays silent. Failed members are probed again so
 * they come back by themselves, except one whose address answered as something other than a
 * member of this network: it is left alone until newer news about it arrives.
 */
export class Detector {
  private running = false
  private order: string[] = []
  private failedOrder: string[] = []
  private readonly probing = new Set<string>()
  private readonly verifying = new Set<string>()
  private readonly suspicions = new Map<string, NodeJS.Timeout>()
  /** The next round of each loop, pending. */
  private readonly loops = new Set<NodeJS.Timeout>()
  private srtt: number | undefined
  private rttvar = 0

  constructor(private readonly m: Membership) {}

  /** The probe timeout: a multiple of the measured round trip, within bounds. */
  get timeoutMs(): number {
    const { probeTimeoutMinMs: min, probeTimeoutMaxMs: max } = this.m.timing
    return this.srtt === undefined ? min : Math.min(max, Math.max(min, this.srtt + 4 * this.rttvar))
  }

  start(): void {
    if (this.running) return
    this.running = true
    const { probeIntervalMs, reconnectIntervalMs, syncIntervalMs, reapIntervalMs } = this.m.timing
    this.every(probeIntervalMs, () => this.probeNext())
    this.every(reconnectIntervalMs, () => this.reconnectNext())
    this.every(syncIntervalMs, () => this.syncOne())
    this.every(reapIntervalMs, () => this.reap())
  }

  stop(): void {
    this.running = false
    for (const timer of this.loops) clearTimeout(timer)
    this.loops.clear()
    for (const timer of this.suspicions.values()) clearTimeout(timer)
    this.suspicions.clear()
  }

  // Each loop waits for its round to finish before the next is due, so rounds never pile up.
  private every(intervalMs: number, round: () => Promise<void>): void {
    const schedule = (delayMs: number): void => {
      const loop = async () => {
        this.loops.delete(timer)
        const started = Date.now()
        await round().catch((err) => this.m.log.warn({ err }, 'membership round failed'))
        if (this.running) schedule(Math.max(0, intervalMs - (Date.now() - started)))
      }
      const timer = setTimeout(loop, delayMs)
      timer.unref()
      this.loops.add(timer)
    }
    schedule(Math.random() * intervalMs)
  }

  /** A member changed: keep a timer on every suspect, and none on anyone else. */
  track(member: Member): void {
    const timer = this.suspicions.get(member.id)
    if (member.state !== 'suspect') {
      if (timer) clearTimeout(timer)
      this.suspicions.delete(member.id)
      return
    }
    if (timer || !this.running) return
    const due = Date.now() + this.m.timing.suspicionMs
    const expire = () => {
      this.suspicions.delete(member.id)
      const now = this.m.view.get(member.id)
      const verdict = suspicionExpired({
        firedLateMs: Date.now() - due,
        lateMs: this.m.timing.lateMs,
        stillSuspectAtSameIncarnation:
          this.running && now?.state === 'suspect' && now.incarnation === member.incarnation,
      })
      if (!now || verdict === 'drop') return
      if (verdict === 'rearm') return this.track(now)
      const lastWord =
        this.m.view.contact(now.id)?.at ??
        (now.evidenceAt ? Date.parse(now.evidenceAt) : Date.now())
      void this.declare(now, 'failed', lastWord)
    }
    const suspicion = setTimeout(expire, this.m.timing.suspicionMs)
    suspicion.unref()
    this.suspicions.set(member.id, suspicion)
  }

  /** Probes a member now, out of turn (a connection to it closed). */
  checkSoon(id: string): void {
    const member = this.m.view.get(id)
    if (this.running && member)
      void this.probe(member).catch((err) => this.m.log.warn({ err }, 'probe failed'))
  }

  /**
   * News accuses a member, but this node heard from it after the accuser's evidence: ask the
   * member itself before believing it. Believed only if it does not answer now either.
   */
  verify(accusation: MemberUpdate): void {
    const member = this.m.view.get(accusation.id)
    const heardAgo = this.m.view.heardAgoMs(accusation.id) ?? Infinity
    if (!this.running || !member || this.verifying.has(member.id)) return
    if (heardAgo < this.m.timing.probeIntervalMs) return // it spoke a moment ago
    this.verifying.add(member.id)
    const sentAt = Date.now()
    void this.ping(member)
      .then(async (answer) => {
        if (answer.ok || this.frozenSince(sentAt) || !this.running) return
        await this.m.apply([this.m.member(accusation)])
      })
      .catch((err) => this.m.log.warn({ err }, 'verification failed'))
      .finally(() => this.verifying.delete(member.id))
  }

  private async probeNext(): Promise<void> {
    for (;;) {
      if (this.order.length === 0) {
        this.order = shuffle(this.m.view.others('alive', 'suspect').map((m) => m.id))
        if (this.order.length === 0) return
      }
      const member = this.m.view.get(this.order.pop() as string)
      if (member && (member.state === 'alive' || member.state === 'suspect'))
        return this.probe(member)
    }
  }

  private async probe(target: Member): Promise<void> {
    if (this.probing.has(target.id)) return
    this.probing.add(target.id)
    try {
      const sentAt = Date.now()
      const direct = await this.ping(target)
      if (direct.ok || !this.running || this.frozenSince(sentAt)) return
      // What answered at that address settles it: no second opinion.
      const answers = DECISIVE.has(direct.reason) ? [] : await this.indirect(target)
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
        if (acked?.self) await this.m.merge([acked.self])
      }
      if (verdict === 'left')
        await this.m.merge([indirect.find((a) => a?.leftAt)?.leftAt as MemberUpdate])
      if (verdict === 'failed') await this.declare(target, 'failed', direct.at)
      if (verdict === 'suspect')
        await this.declare(target, 'suspect', this.m.view.contact(target.id)?.at ?? sentAt)
    } finally {
      this.probing.delete(target.id)
    }
  }

  /** True when this process could not have run for a while (a freeze, a starved CPU). */
  private frozenSince(sentAt: number): boolean {
    return Date.now() - sentAt > 2 * this.timeoutMs + this.m.timing.lateMs
  }

  private async ping(target: Member): Promise<PeerOutcome<PingAck>> {
    const { view, gossip, client } = this.m
    const message: PingMessage = {
      from: view.toUpdate(view.self),
      target: { id: target.id, state: target.state, incarnation: target.incarnation },
      updates: gossip.piggyback(),
    }
    const outcome = await client.post({
      address: target.address,
      path: '/peer/ping',
      to: target.id,
      body: message,
      answer: pingAck,
      timeoutMs: this.timeoutMs,
    })
    if (outcome.ok) {
      this.observe(outcome.rttMs)
      view.heardFrom(target.id, outcome.rttMs)
      await this.m.merge([outcome.body.self, ...outcome.body.updates], { from: target.id })
    }
    return outcome
  }

  private async indirect(target: Member): Promise<(PingReqAnswer | undefined)[]> {
    const { view, gossip, client, timing } = this.m
    const helpers = shuffle(view.others('alive').filter((m) => m.id !== target.id)).slice(
      0,
      timing.indirectChecks
    )
    const message: PingReqMessage = {
      from: view.toUpdate(view.self),
      target: {
        id: target.id,
        address: target.address,
        state: target.state,
        incarnation: target.incarnation,
      },
      updates: gossip.piggyback(),
    }
    return Promise.all(
      helpers.map(async (helper) => {
        const answer = await client.post({
          address: helper.address,
          path: '/peer/ping-req',
          to: helper.id,
          body: message,
          answer: pingReqAnswer,
          timeoutMs: 2 * this.timeoutMs + 200,
        })
        if (!answer.ok) return undefined
        view.heardFrom(helper.id)
        return answer.body
      })
    )
  }

  /** Answers a ping-req: probes a member this node knows, at the address it knows, for another. */
  async probeFor(target: Member): Promise<PingReqAnswer> {
    const direct = this.isShunned(target) ? undefined : await this.ping(target)
    if (direct?.ok) return { result: 'ack', self: direct.body.self }
    const view = this.m.view.get(target.id)
    return { result: direct?.reason ?? 'bogus', view: view && this.m.view.toUpdate(view) }
  }

  /**
   * Its address answered as something other than this member (unsigned, malformed, another node)
   * at its present incarnation: it is not contacted again until it is news.
   */
  private isShunned(member: Member): boolean {
    const problem = this.m.view.problem(member.id)
    return problem?.kind === 'answer' && problem.incarnation === member.incarnation
  }

  private async declare(
    target: Member,
    state: 'suspect' | 'failed',
    evidenceAt: number
  ): Promise<void> {
    const current = this.m.view.get(target.id)
    if (!current || current.incarnation !== target.incarnation || current.state === 'left') return
    if (current.state === 'failed' || (state === 'suspect' && current.state !== 'alive')) return
    const changedAt = new Date().toISOString()
    await this.m.apply([
      {
        ...current,
        state,
        evidenceAt: new Date(evidenceAt).toISOString(),
        stateChangedAt: changedAt,
      },
    ])
  }

  private observe(rttMs: number): void {
    if (this.srtt === undefined) {
      this.srtt = rttMs
      this.rttvar = rttMs / 2
      return
    }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rttMs)
    this.srtt = 0.875 * this.srtt + 0.125 * rttMs
  }

  private async reconnectNext(): Promise<void> {
    if (this.failedOrder.length === 0) {
      const failed = this.m.view.others('failed').filter((m) => !this.isShunned(m))
      this.failedOrder = shuffle(failed.map((m) => m.id))
    }
    const member = this.m.view.get(this.failedOrder.pop() ?? '')
    if (member?.state === 'failed' && !this.isShunned(member)) await this.ping(member)
  }

  private async syncOne(): Promise<void> {
    const [peer] = shuffle(this.m.view.others('alive'))
    if (!peer) return
    const { view, client } = this.m
    const members = view.all().map((m) => view.toUpdate(m))
    const answer = await client.post({
      address: peer.address,
      path: '/peer/sync',
      to: peer.id,
      body: { from: view.toUpdate(view.self), members },
      answer: syncAnswer,
      timeoutMs: 2000,
    })
    if (!answer.ok) return
    view.heardFrom(peer.id, answer.rttMs)
    await this.m.merge(answer.body.members, { from: peer.id })
  }

  private async reap(): Promise<void> {
    const { reapLeftMs, reapFailedMs } = this.m.timing
    const now = Date.now()
    const old = this.m.view.others('left', 'failed').filter((m) => {
      const age = now - Date.parse(m.stateChangedAt)
      return age > (m.state === 'left' ? reapLeftMs : reapFailedMs)
    })
    if (old.length > 0) await this.m.forget(old.map((m) => m.id))
  }
}
