import type { Member } from '../../db/contract/index.ts'
import type { JoinOutcome } from './joining.ts'
import type { MemberList, PeerAnswer, PeerKind, PeerMessage } from './messages.ts'

/** What this node has heard from a member itself, as GET /members shows it. */
export interface LiveContact {
  lastHeardAt: string | null
  rttMs: number | null
  /** Something wrong that its state does not say (a clock too far off, a wrong answer). */
  problem: string | null
}

export interface LeaveOutcome {
  /** Members that acknowledged the leave. */
  acked: string[]
  /** Members that did not, by the deadline. */
  missed: string[]
  alreadyLeft?: true
}

/** The answer to a force-leave: done (and who acknowledged it), or why not, in a sentence. */
export type ForceLeaveOutcome =
  | ({ ok: true; member: Member } & LeaveOutcome)
  | { ok: false; reason: 'unknown' | 'self' | 'changed' | Member['state']; text: string }

/**
 * The membership as handlers see it (ctx.membership): what the REST routes and the peer routes
 * need, and nothing of how it works.
 */
export interface MembershipApi {
  /** True once the peer list is loaded and this node takes part (or knows it stays out). */
  readonly opened: boolean
  /** False without a cluster key: this node can neither sign nor check a peer's word. */
  readonly canTalk: boolean
  /** The peer list as committed, and whether this node takes part in the network now. */
  snapshot(): { members: Member[]; participating: boolean }
  live(id: string): LiveContact
  /** This node and the other members, as a join is answered. */
  list(): MemberList
  /** Joins through any of these addresses (undoing an earlier leave). */
  join(addresses: string[]): Promise<JoinOutcome[]>
  /**
   * Leaves the network: every member is told, and acknowledges, before this resolves. `rejoin`:
   * whether the node comes back by itself at its next start (a restart) or stays out (an
   * operator's leave).
   */
  leave(options: { rejoin: boolean }): Promise<LeaveOutcome>
  /** Marks a failed member left for good, and tells every live member (serf's force-leave). */
  forceLeave(id: string): Promise<ForceLeaveOutcome>
  /** A message from another node, signed by `sender` and validated; resolves with the answer. */
  receive<K extends PeerKind>(
    kind: K,
    sender: string,
    message: PeerMessage<K>
  ): Promise<PeerAnswer<K>>
}
