import type { Member, MemberState } from '../../db/contract/index.ts'
import { HALF, incarnationsAhead, newer, nextIncarnation } from './incarnations.ts'
import type { MemberUpdate, Reach } from './messages.ts'

export type { MemberUpdate, Reach }
export { INCARNATIONS, incarnationsAhead, newer, nextIncarnation } from './incarnations.ts'

/**
 * How far a third party's news may move a known member's incarnation forward. A member raises
 * its own incarnation by one at a time (a restart, a refutation, a rejoin); only its own word
 * may jump further (it refutes whatever it hears about itself, however high).
 */
export const MAX_RELAYED_JUMP = 2 ** 20

// At one incarnation, later news outranks earlier news: alive < suspect < failed < left.
const RANK: Record<MemberState, number> = { alive: 0, suspect: 1, failed: 2, left: 3 }

/** SWIM's merge rule: a newer incarnation wins; at the same incarnation, the higher-ranked state. */
export function supersedes(
  incoming: { state: MemberState; incarnation: number },
  current: { state: MemberState; incarnation: number } | undefined
): boolean {
  if (!current) return true
  if (incoming.incarnation !== current.incarnation)
    return newer(incoming.incarnation, current.incarnation)
  return RANK[incoming.state] > RANK[current.state]
}

export type Verdict =
  | { kind: 'ignore' }
  | { kind: 'accept'; member: MemberUpdate }
  /** News about this node that is wrong: answer with an alive at this incarnation. */
  | { kind: 'refute'; incarnation: number }
  /** An accusation older than what this node has heard itself: check before believing it. */
  | { kind: 'verify'; id: string }
  /** A third party moves a member's incarnation further than the member itself ever does. */
  | { kind: 'bogus'; reason: string }

export interface Judge {
  selfId: string
  selfIncarnation: number
  /** This node is leaving or has left: only news that it is back is refuted (with its leave). */
  leaving: boolean
  /** The node whose signed word the news is: news about itself may move its incarnation freely. */
  from?: string
  current(id: string): Member | undefined
  /** How long ago this node last heard from `id` directly, if ever. */
  heardAgoMs(id: string): number | undefined
}

/** Slack for the time a message spends in transit when comparing evidence ages. */
const EVIDENCE_SLACK_MS = 250

/** What to do with one piece of membership news. */
export function judge(update: MemberUpdate, ctx: Judge): Verdict {
  if (update.id === ctx.selfId) return judgeAboutSelf(update, ctx)
  const current = ctx.current(update.id)
  if (!supersedes(update, current)) return { kind: 'ignore' }
  const ahead = current ? incarnationsAhead(update.incarnation, current.incarnation) : 0
  if (ahead > MAX_RELAYED_JUMP && update.id !== ctx.from) {
    return {
      kind: 'bogus',
      reason: `moves ${update.id} from incarnation ${current?.incarnation} to ${update.incarnation}, further than a member ever goes by itself`,
    }
  }
  if (update.state === 'suspect' || update.state === 'failed') {
    // A refused connection seen after our last word from the node is news; silence older than
    // our own last word is not (a partitioned node's view must not overrule ours).
    const heardAgo = ctx.heardAgoMs(update.id)
    if (heardAgo !== undefined && heardAgo + EVIDENCE_SLACK_MS < (update.evidenceAgeMs ?? 0)) {
      return { kind: 'verify', id: update.id }
    }
  }
  return { kind: 'accept', member: update }
}

// Only this node raises its own incarnation, so whatever wrong is said about it at its
// incarnation or a newer one is answered with the next one: however high the number, the answer
// is newer still (and this node takes it as its own, whatever its own was). A claim exactly half
// the space away is neither newer nor older; it is answered too, so that no holder of it is left
// with a word this node would never contradict.
function judgeAboutSelf(update: MemberUpdate, ctx: Judge): Verdict {
  const distance = incarnationsAhead(update.incarnation, ctx.selfIncarnation)
  const ahead = distance > 0 && distance <= HALF
  const refute: Verdict = { kind: 'refute', incarnation: nextIncarnation(update.incarnation) }
  if (ctx.leaving) {
    // A join that reached a member but not this node's ear (it stayed out): say left again.
    return update.state !== 'left' && ahead ? refute : { kind: 'ignore' }
  }
  const wrong = update.state !== 'alive' || (ahead && distance < HALF)
  return wrong && (ahead || distance === 0) ? refute : { kind: 'ignore' }
}

export interface ProbeRound {
  /** This node's own attempt. */
  direct: Reach
  /** Helpers' attempts (undefined: the helper itself did not answer). */
  indirect: ({ result: Reach; leftAt?: MemberUpdate } | undefined)[]
  /** The member's state in this node's view when the round started. */
  state: MemberState
  /** This process was frozen or starved during the round: its silence proves nothing. */
  frozen: boolean
}

export type ProbeVerdict = 'alive' | 'left' | 'failed' | 'suspect' | 'no-change'

/**
 * The verdict of a probe round. An ack from anyone means alive; a helper that knows the member
 * left settles it; a refusal that nobody contradicts means failed (nothing listens there any
 * more); silence makes an alive member a suspect, which only its own continued silence fails.
 */
export function judgeProbe(round: ProbeRound): ProbeVerdict {
  if (round.direct === 'ack') return 'alive'
  if (round.frozen) return 'no-change'
  // Something else answers at its address, or nothing that speaks the signed protocol: no helper's
  // view changes that. A member that refuses us only for our clock has answered, signed.
  if (round.direct === 'clock-skew') return 'alive'
  if (round.direct === 'wrong-node' || round.direct === 'bogus') return 'failed'
  if (round.indirect.some((a) => a?.result === 'ack')) return 'alive'
  if (round.indirect.some((a) => a?.leftAt)) return 'left'
  if (round.direct === 'refused') return 'failed'
  return round.state === 'alive' ? 'suspect' : 'no-change'
}

/** What a suspicion timer that has just fired means. */
export function suspicionExpired(opts: {
  firedLateMs: number
  lateMs: number
  stillSuspectAtSameIncarnation: boolean
}): 'fail' | 'rearm' | 'drop' {
  if (!opts.stillSuspectAtSameIncarnation) return 'drop'
  // A timer that fires late means this process was frozen: the suspect may have refuted
  // meanwhile, so it gets a fresh period rather than a verdict.
  return opts.firedLateMs > opts.lateMs ? 'rearm' : 'fail'
}
