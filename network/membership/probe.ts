import type { Member } from '../../db/contract/index.ts'
import type { PeerOutcome, Transport } from '../transport/transport.ts'
import {
  PEER_MESSAGES,
  type PingAck,
  type PingMessage,
  type PingReqAnswer,
  type PingReqMessage,
} from './messages.ts'
import type { MemberUpdate } from './rules.ts'
import { shuffle } from './shuffle.ts'
import type { Timing } from './timing.ts'
import type { MemberView } from './view.ts'

export interface ProberDeps {
  view: MemberView
  transport: Transport
  timing: Timing
  random: () => number
  /** News to ride along on a probe. */
  piggyback(): MemberUpdate[]
  /** News heard in an answer; `from`: the member whose own signed word it is. */
  heard(updates: MemberUpdate[], from?: string): Promise<unknown>
}

/**
 * Asking whether a member is there: directly, through others (SWIM's ping and ping-req), or on
 * another node's behalf. Keeps the smoothed round trip (TCP's estimator) that timeouts follow.
 */
export class Prober {
  private srtt: number | undefined
  private rttvar = 0

  constructor(private readonly deps: ProberDeps) {}

  /** The probe timeout: a multiple of the measured round trip, within bounds. */
  get timeoutMs(): number {
    const { probeTimeoutMinMs: min, probeTimeoutMaxMs: max } = this.deps.timing
    return this.srtt === undefined ? min : Math.min(max, Math.max(min, this.srtt + 4 * this.rttvar))
  }

  /** Asks a member itself; what it answers (its word and its news) is merged. */
  async ping(target: Member): Promise<PeerOutcome<PingAck>> {
    const { view, transport } = this.deps
    const message: PingMessage = {
      from: view.toUpdate(view.self),
      target: { id: target.id, state: target.state, incarnation: target.incarnation },
      updates: this.deps.piggyback(),
    }
    const outcome = await transport.call({
      kind: PEER_MESSAGES.ping,
      address: target.address,
      to: target.id,
      body: message,
      timeoutMs: this.timeoutMs,
    })
    if (outcome.ok) {
      this.observe(outcome.rttMs)
      view.heardFrom(target.id, outcome.rttMs)
      await this.deps.heard([outcome.body.self, ...outcome.body.updates], target.id)
    }
    return outcome
  }

  /** Asks others to ask it (they could not all be cut off from it). */
  async indirect(target: Member): Promise<(PingReqAnswer | undefined)[]> {
    const { view, transport, timing, random } = this.deps
    const helpers = shuffle(
      view.others('alive').filter((m) => m.id !== target.id),
      random
    ).slice(0, timing.indirectChecks)
    const message: PingReqMessage = {
      from: view.toUpdate(view.self),
      target: {
        id: target.id,
        address: target.address,
        state: target.state,
        incarnation: target.incarnation,
      },
      updates: this.deps.piggyback(),
    }
    return Promise.all(
      helpers.map(async (helper) => {
        const answer = await transport.call({
          kind: PEER_MESSAGES['ping-req'],
          address: helper.address,
          to: helper.id,
          body: message,
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
    const known = this.deps.view.get(target.id)
    return { result: direct?.reason ?? 'bogus', view: known && this.deps.view.toUpdate(known) }
  }

  /**
   * Its address answered as something other than this member (unsigned, malformed, another node)
   * at its present incarnation: it is not contacted again until it is news.
   */
  isShunned(member: Member): boolean {
    const problem = this.deps.view.problem(member.id)
    return problem?.kind === 'answer' && problem.incarnation === member.incarnation
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
}
