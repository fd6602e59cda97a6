import type { Member, MemberState } from '../../db/contract.ts'
import type { PeerFailure } from './peer-client.ts'

/** A member as it travels between nodes: the row, with its evidence as an age, not a clock time. */
export interface MemberUpdate {
  id: string
  name: string
  address: string
  state: MemberState
  incarnation: number
  /** For suspect and failed: how long before sending the evidence was seen (ms). */
  evidenceAgeMs?: number
}

// At one incarnation, later news outranks earlier news: alive < suspect < failed < left.
const RANK: Record<MemberState, number> = { alive: 0, suspect: 1, failed: 2, left: 3 }

/** SWIM's merge rule: a higher incarnation wins; at the same incarnation, the higher-ranked state. */
export function supersedes(
  incoming: { state: MemberState; incarnation: number },
  current: { state: MemberState; incarnation: number } | undefined
): boolean {
  if (!current) return true
  if (incoming.incarnation !== current.incarnation)
    return incoming.incarnation > current.incarnation
  return RANK[incoming.state] > RANK[current.state]
}

export type Verdict =
  | { kind: 'ignore' }
  | { kind: 'accept'; member: MemberUpdate }
  /** News about this node that is wrong: answer with an alive at this incarnation. */
  | { kind: 'refute'; incarnation: number }
  /** An accusation older than what this node has heard itself: check before believing it. */
  | { kind: 'verify'; id: string }

export interface Judge {
  selfId: string
  selfIncarnation: number
  /** This node is leaving or has left: only news that it is back is refuted (with its leave). */
  leaving: boolean
  current(id: string): Member | undefined
  /** How long ago this node last heard from `id` directly, if ever. */
  heardAgoMs(id: string): number | undefined
}

/** Slack for the time a message spends in transit when comparing evidence ages. */
const EVIDENCE_SLACK_MS = 250

/** What to do with one piece of membership news. */
export function judge(update: MemberUpdate, ctx: Judge): Verdict {
  if (update.id === ctx.selfId) {
    if (ctx.leaving) {
      // A join that reached a member but not this node's ear (it stayed out): say left again.
      const back = update.state !== 'left' && update.incarnation > ctx.selfIncarnation
      return back ? { kind: 'refute', incarnation: update.incarnation + 1 } : { kind: 'ignore' }
    }
    const wrong = update.state !== 'alive' || update.incarnation > ctx.selfIncarnation
    if (wrong && update.incarnation >= ctx.selfIncarnation) {
      return { kind: 'refute', incarnation: update.incarnation + 1 }
    }
    return { kind: 'ignore' }
  }
  if (!supersedes(update, ctx.current(update.id))) return { kind: 'ignore' }
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

/** How one attempt to reach a member ended, from this node or from a helper. */
export type Reach = 'ack' | PeerFailure['reason']

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
  if (round.direct === 'wrong-node') return 'failed'
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
