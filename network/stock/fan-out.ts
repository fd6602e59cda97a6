import type { Member } from '../../db/contract/index.ts'
import type { PeerFailure, Transport } from '../transport/transport.ts'
import { TRANSFER_SENT } from '../transfers/messages.ts'
import { STOCK_EXCHANGE, type StockAnswer, type StockAsk } from './messages.ts'
import type { NotLiveReason } from '../../api/network-stock.ts'

/** Why a warehouse's figure is not live, as the API says it (api/network-stock.ts). */
export type NotLive = NotLiveReason

/** How asking one member ended: its answer, or why there is none (and what happened, in words). */
export type WarehouseOutcome =
  | { member: Pick<Member, 'id' | 'name'>; answer: StockAnswer }
  | { member: Pick<Member, 'id' | 'name'>; reason: NotLive; detail: string }

/** The questions handlers put to other members under a deadline (ctx.peers). */
export interface PeerStock {
  /**
   * Whether member `memberId` sent transfer `id` to this node, in its own words within
   * `deadlineMs`; null when it is failed or left, does not answer in time, or cannot be believed.
   */
  transferSent(memberId: string, id: string, deadlineMs: number): Promise<boolean | null>
  /**
   * Asks every other member at once and resolves within `deadlineMs`, whatever they do: a
   * member that has not answered by then is `timed_out` (its call is cut), and so is one that
   * has not once `cutoff` resolves (the answer then needs the rest of the deadline). Members
   * failed or left are not asked: their outcome is known at once.
   */
  stock(
    ask: Omit<StockAsk, 'deadlineMs'>,
    deadlineMs: number,
    cutoff?: Promise<unknown>
  ): Promise<WarehouseOutcome[]>
}

/** A transport failure as the reason a figure is not live. */
function notLive(failure: PeerFailure): NotLive {
  if (failure.reason === 'timeout') return 'timed_out'
  // Nothing listens at its address, or the address cannot be reached: the node is down for us.
  if (failure.reason === 'refused' || failure.reason === 'unreachable') return 'down'
  // It answered, but not with figures we can believe: a refusal, a wrong key or node, a skew.
  return 'refused'
}

export interface StockFanOutOptions {
  transport: Transport
  selfId: string
  /** The peer list as committed (the membership's snapshot). */
  members(): Member[]
}

/** Scatter-gather of POST /peer/stock over the transport, bounded by one deadline. */
export class StockFanOut implements PeerStock {
  constructor(private readonly options: StockFanOutOptions) {}

  stock(
    ask: Omit<StockAsk, 'deadlineMs'>,
    deadlineMs: number,
    cutoff?: Promise<unknown>
  ): Promise<WarehouseOutcome[]> {
    const { selfId, members } = this.options
    const deadlineAt = performance.now() + deadlineMs
    const others = members().filter((m) => m.id !== selfId)
    return Promise.all(others.map((m) => this.askOne(m, ask, deadlineAt, cutoff)))
  }

  async transferSent(memberId: string, id: string, deadlineMs: number): Promise<boolean | null> {
    const m = this.options.members().find((member) => member.id === memberId)
    if (!m || m.id === this.options.selfId || m.state === 'failed' || m.state === 'left')
      return null
    const call = this.options.transport
      .call({
        kind: TRANSFER_SENT,
        address: m.address,
        to: m.id,
        body: { id },
        timeoutMs: deadlineMs,
      })
      .then((outcome) => (outcome.ok ? outcome.body.sent : null))
      .catch(() => null)
    return within(call, deadlineMs, null)
  }

  private async askOne(
    m: Member,
    ask: Omit<StockAsk, 'deadlineMs'>,
    deadlineAt: number,
    cutoff?: Promise<unknown>
  ): Promise<WarehouseOutcome> {
    const member = { id: m.id, name: m.name }
    if (m.state === 'left') return { member, reason: 'left', detail: `left at ${m.stateChangedAt}` }
    if (m.state === 'failed') {
      return { member, reason: 'down', detail: `failed since ${m.stateChangedAt}` }
    }
    // Alive, or suspect (it may still answer: asking costs nothing but the deadline).
    const timeoutMs = Math.max(1, Math.floor(deadlineAt - performance.now()))
    const late = { member, reason: 'timed_out', detail: `no answer within the deadline` } as const
    const cut = {
      member,
      reason: 'timed_out',
      detail: 'no answer in the time left to ask (the rest kept to compose a large answer)',
    } as const
    const call = this.options.transport
      .call({
        kind: STOCK_EXCHANGE,
        address: m.address,
        to: m.id,
        body: { ...ask, deadlineMs: timeoutMs },
        timeoutMs,
      })
      .then((outcome): WarehouseOutcome => {
        if (outcome.ok) return { member, answer: outcome.body }
        return { member, reason: notLive(outcome), detail: outcome.message }
      })
      .catch((err: Error): WarehouseOutcome => ({ member, reason: 'refused', detail: err.message }))
    return within(call, timeoutMs, late, cutoff && cutoff.then(() => cut))
  }
}

/**
 * `call`'s outcome, or `late` once `ms` have passed, or what `cutoff` resolves to when it does
 * first: the transport cuts a call at its timeout, and this bound holds even when it retries a
 * reset.
 */
async function within<T, L, C = L>(
  call: Promise<T>,
  ms: number,
  late: L,
  cutoff?: Promise<C>
): Promise<T | L | C> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<L>((resolve) => {
    timer = setTimeout(() => resolve(late), ms)
  })
  try {
    return await Promise.race([call, deadline, ...(cutoff ? [cutoff] : [])])
  } finally {
    clearTimeout(timer)
  }
}
