import { z } from 'zod'
import { nothing, read, write } from './descriptor.ts'

export const MEMBER_STATES = ['alive', 'suspect', 'failed', 'left'] as const
export type MemberState = (typeof MEMBER_STATES)[number]

/** A node of the peer network as this node's peer list records it (itself included). */
export interface Member {
  id: string
  name: string
  /** Base URL peers use to reach it, e.g. http://10.0.0.2:8080 */
  address: string
  state: MemberState
  incarnation: number
  stateChangedAt: string
  /** For suspect and failed: when the evidence was seen (last word heard, or a refusal). */
  evidenceAt: string | null
}

// A whole row as the protocol decided it. Not strict: the operation stores the columns it knows
// (rows built from peers' messages may carry more).
const member = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string(),
  state: z.enum(MEMBER_STATES),
  incarnation: z.number().int().min(0),
  stateChangedAt: z.string(),
  evidenceAt: z.string().nullish(),
})

export const memberOps = {
  /** The peer list, and whether the node rejoins it by itself at start (false after an operator's leave). */
  'members.list': read(nothing).returns<{ members: Member[]; rejoin: boolean }>(),
  /** Writes decided membership changes (whole rows, upserted by id) in one transaction. */
  'members.apply': write(
    z.strictObject({ members: z.array(member), rejoin: z.boolean().optional() })
  ).returns<{ applied: number }>(),
  /** Forgets members that left or failed long ago. */
  'members.reap': write(z.strictObject({ ids: z.array(z.string()) })).returns<{ reaped: number }>(),
}
