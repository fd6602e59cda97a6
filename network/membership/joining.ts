import type { Logger } from 'pino'
import type { Member } from '../../db/contract/index.ts'
import { sleep, type Clock } from '../clock.ts'
import { ANY_RECEIVER, type Transport } from '../transport/transport.ts'
import { PEER_MESSAGES, type MemberList, type MemberUpdate } from './messages.ts'
import { nextIncarnation } from './rules.ts'
import { DEFAULT_TIMING } from './timing.ts'
import type { MemberView } from './view.ts'

// Joining the network through members' addresses, given by an operator or kept on disk.

export interface JoinOutcome {
  address: string
  ok: boolean
  reason?: string
}

/**
 * What a join is told about an address that did not answer as a member of this network, whatever
 * it did: refused, timed out, answered unsigned or with something else. The node's log has the
 * detail; the answer to POST /members/join must not make the node a scanner of other hosts.
 */
export const NOT_A_MEMBER = 'did not answer as a member of this network'

/** How long a join waits by default (Timing.joinTimeoutMs); a failed join always takes this long. */
export const JOIN_TIMEOUT_MS = DEFAULT_TIMING.joinTimeoutMs

// Failures that only a node holding the cluster key can cause: its own signed refusals.
const SIGNED_REFUSALS = new Set(['error', 'clock-skew', 'wrong-node'])

interface Answer {
  outcome: JoinOutcome
  detail?: string
  list?: MemberList
}

export interface JoiningDeps {
  view: MemberView
  transport: Transport
  clock: Clock
  log: Logger
  /** How long a join waits for an answer (a failed join takes this long, always). */
  joinTimeoutMs: number
  /** True while this node is out of the network (it left, or is leaving). */
  leaving(): boolean
  /** True once the node has begun to stop: no join is asked from then on. */
  stopping(): boolean
  /** Back in the network at a new incarnation: a member answered this node's join. */
  rise(): Promise<void>
  merge(updates: MemberUpdate[], options: { from: string }): Promise<unknown>
  spread(members: Member[]): void
}

export class Joining {
  /** The join attempts waiting for answers: the start's, an operator's (none while one sleeps). */
  private readonly asking = new Set<Promise<unknown>>()

  constructor(private readonly deps: JoiningDeps) {}

  /**
   * Settles when the join attempts in flight have been answered or timed out. A node that stops
   * waits for them: a member that answers is one to tell it leaves, and an answer must not land
   * after its leave (it would raise the node again) or after the database is gone.
   */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.asking])
  }

  /**
   * Joins through these addresses (any one is enough). A node that left comes back only if one
   * of them answers: until then it stays out, and says so. An address that is not a member's
   * gets one answer, NOT_A_MEMBER, and only after the join timeout, whatever happened there.
   */
  async join(addresses: string[]): Promise<JoinOutcome[]> {
    const { clock, log } = this.deps
    const started = clock.now()
    const answers = await this.through(addresses, { relay: true })
    for (const { outcome, detail } of answers) {
      if (detail) log.info({ address: outcome.address, detail }, `join: ${outcome.reason}`)
    }
    if (answers.some((a) => !a.outcome.ok)) {
      const waitMs = started + this.deps.joinTimeoutMs - clock.now()
      if (waitMs > 0) await sleep(clock, waitMs)
    }
    return answers.map((a) => a.outcome)
  }

  /** At start the peers may still be starting too: keeps trying until one of them answers. */
  async untilAnswered(addresses: string[]): Promise<void> {
    const { view, clock, log } = this.deps
    for (
      let wait = 1000;
      addresses.length > 0 && !this.deps.leaving() && !this.deps.stopping();
      wait = Math.min(wait * 2, 30_000)
    ) {
      const known = (a: string) => view.all().some((m) => m.address === a)
      const answers = await Promise.all(
        addresses.map((a) => this.through([a], { relay: !known(a) }).then(([answer]) => answer))
      )
      // Stopped meanwhile: every attempt was refused by this node itself, not by a peer.
      if (answers.some((a) => a.outcome.ok) || this.deps.stopping()) return
      const outcomes = answers.map(({ outcome, detail }) => ({ ...outcome, detail }))
      log.warn({ outcomes }, 'no peer answered the join; trying again')
      await sleep(clock, wait)
    }
  }

  /** `relay`: the member asked tells the others (this node knows none of them yet). */
  private async through(addresses: string[], options: { relay: boolean }): Promise<Answer[]> {
    if (this.deps.stopping()) {
      const reason = 'this node is stopping'
      return addresses.map((address) => ({ outcome: { address, ok: false, reason } }))
    }
    const attempt = this.askAll(addresses, options)
    this.asking.add(attempt)
    try {
      return await attempt
    } finally {
      this.asking.delete(attempt)
    }
  }

  private async askAll(addresses: string[], { relay }: { relay: boolean }): Promise<Answer[]> {
    const { view } = this.deps
    const self = view.self
    const asking = this.deps.leaving()
      ? {
          ...view.toUpdate(self),
          state: 'alive' as const,
          incarnation: nextIncarnation(self.incarnation),
        }
      : view.toUpdate(self)
    const answers = await Promise.all(
      addresses.map((address) => this.ask(address, { member: asking, relay }))
    )
    const lists = answers.flatMap((a) => (a.list ? [a.list] : []))
    if (lists.length > 0 && this.deps.leaving()) await this.deps.rise()
    for (const list of lists) await this.absorb(list)
    return answers
  }

  private async ask(
    address: string,
    body: { member: MemberUpdate; relay: boolean }
  ): Promise<Answer> {
    const answer = await this.deps.transport.call({
      kind: PEER_MESSAGES.join,
      address,
      to: ANY_RECEIVER,
      body,
      timeoutMs: this.deps.joinTimeoutMs,
    })
    if (!answer.ok) {
      // A member's own refusal (signed) is told as it is; anything else, the same for all.
      const detail = `${answer.reason}: ${answer.message}`
      return SIGNED_REFUSALS.has(answer.reason)
        ? { outcome: { address, ok: false, reason: detail } }
        : { outcome: { address, ok: false, reason: NOT_A_MEMBER }, detail }
    }
    const { self } = answer.body
    if (answer.responder !== self.id) {
      const detail = `node ${answer.responder} answered with the list of ${self.id}`
      return { outcome: { address, ok: false, reason: NOT_A_MEMBER }, detail }
    }
    if (self.id === this.deps.view.selfId) {
      return { outcome: { address, ok: false, reason: 'that address is this node' } }
    }
    this.deps.view.heardFrom(self.id, answer.rttMs)
    return { outcome: { address, ok: true }, list: answer.body }
  }

  /** Takes in a member's list (its answer to a join), and tells the others this node is here. */
  private async absorb(list: MemberList): Promise<void> {
    await this.deps.merge([list.self, ...list.members], { from: list.self.id })
    this.deps.spread([this.deps.view.self])
  }
}
