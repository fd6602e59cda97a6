import type { MemberUpdate, Reach } from './rules.ts'

/** How a target looks to the node probing it, so that a wrongly suspected target can refute. */
export interface TargetView {
  id: string
  state: MemberUpdate['state']
  incarnation: number
}

/** POST /peer/ping: are you there? */
export interface PingMessage {
  from: MemberUpdate
  target: TargetView
  updates: MemberUpdate[]
}

export interface PingAck {
  self: MemberUpdate
  updates: MemberUpdate[]
}

/** POST /peer/ping-req: please probe `target` for me (I could not reach it). */
export interface PingReqMessage {
  from: MemberUpdate
  target: TargetView & { address: string }
  updates: MemberUpdate[]
}

export interface PingReqAnswer {
  result: Reach
  /** The target's own answer, when it answered. */
  self?: MemberUpdate
  /** The helper's record of the target (it may know that the target left). */
  view?: MemberUpdate
}

/** POST /peer/gossip: membership news. */
export interface GossipMessage {
  from: MemberUpdate
  updates: MemberUpdate[]
}

/** POST /peer/sync: here is everything I know; answer with everything you know. */
export interface SyncMessage {
  from: MemberUpdate
  members: MemberUpdate[]
}

/** POST /peer/join: admit me. `relay`: tell the others (the joiner knows only you). */
export interface JoinMessage {
  member: MemberUpdate
  relay: boolean
}

export interface MemberList {
  self: MemberUpdate
  members: MemberUpdate[]
}
