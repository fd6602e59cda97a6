import { z } from 'zod'
import { peerName, peerNodeId } from '../../api/members.ts'
import { FAILURES, type ExchangeKind } from '../transport/transport.ts'
import { logPosition } from '../replication/messages.ts'
import { INCARNATIONS } from './incarnations.ts'

// Every node-to-node message and every answer, defined once: the receiver validates a request
// with these schemas, the sender validates the answer with them before believing a word of it,
// and the types are inferred from them. Unknown fields are dropped rather than refused, so that a
// newer node can add fields without cutting itself off from older ones.

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
// A host name or IPv4 address, or a bracketed IPv6 one; an optional port; nothing else.
const ADDRESS = new RegExp(
  `^https?://(${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]{2,45}\\])(?::(\\d{1,5}))?$`
)
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const UNSPECIFIED = new Set(['0.0.0.0', '[::]', '[0:0:0:0:0:0:0:0]'])

/**
 * Whether a string is a member's address: an http(s) base URL with a sane host and port, and no
 * credentials, path, query or fragment. Checked by pattern rather than by z.url(): this runs on
 * every member of every message, several times a second, and the address is only ever used as the
 * base of a request URL.
 */
export function isMemberAddress(text: string): boolean {
  const match = ADDRESS.exec(text)
  if (!match) return false
  const [, host, port] = match
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return false
  if (UNSPECIFIED.has(host)) return false
  // A numeric last label makes the host an IPv4 address (WHATWG URL): only the dotted quad, then.
  if (/^\d+$/.test(host.slice(host.lastIndexOf('.') + 1))) {
    const quad = IPV4.exec(host)
    return quad !== null && quad.slice(1).every((octet) => Number(octet) <= 255)
  }
  return host.length <= 253
}

export const memberAddress = z.string().max(300).refine(isMemberAddress, {
  error:
    'must be an http(s) address such as http://10.0.0.2:8080: a host and a port, with no user, path, query or fragment',
})

/** An incarnation: an integer in [0, 2^32), compared as a serial number (rules.ts). */
export const incarnation = z
  .int()
  .min(0)
  .max(INCARNATIONS - 1)

const memberState = z.enum(['alive', 'suspect', 'failed', 'left'])

/** A member as it travels between nodes: the row, with its evidence as an age, not a clock time. */
export const memberUpdate = z.object({
  id: peerNodeId,
  name: peerName,
  address: memberAddress,
  state: memberState,
  incarnation,
  /** For suspect and failed: how long before sending the evidence was seen (ms). */
  evidenceAgeMs: z.number().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  /**
   * The head of the member's log (its last event and ledger row), on its own word only: replicas
   * know how far behind they are without asking. Kept in memory by whoever hears it.
   */
  head: logPosition.optional(),
})
export type MemberUpdate = z.output<typeof memberUpdate>

const updates = z.array(memberUpdate).max(1000)

/** How a target looks to the node probing it, so that a wrongly suspected target can refute. */
export const targetView = memberUpdate.pick({ id: true, state: true, incarnation: true })
export type TargetView = z.output<typeof targetView>

/** How one attempt to reach a member ended, from this node or from a helper. */
export const REACH = [
  'ack',
  ...FAILURES,
  /** A helper asked about a member it does not know: it contacted nothing. */
  'unknown',
] as const
export type Reach = (typeof REACH)[number]

/** POST /peer/ping: are you there? */
export const pingMessage = z.object({ from: memberUpdate, target: targetView, updates })
export type PingMessage = z.output<typeof pingMessage>

export const pingAck = z.object({ self: memberUpdate, updates })
export type PingAck = z.output<typeof pingAck>

/**
 * POST /peer/ping-req: please probe `target` for me (I could not reach it). The helper probes the
 * address it knows for that id itself; the address in the message is only for older nodes.
 */
export const pingReqMessage = z.object({
  from: memberUpdate,
  target: targetView.extend({ address: memberAddress }),
  updates,
})
export type PingReqMessage = z.output<typeof pingReqMessage>

export const pingReqAnswer = z.object({
  // A reason this node does not know yet (a newer helper's) counts as a plain failure.
  result: z.enum(REACH).catch('error'),
  /** The target's own answer, when it answered. */
  self: memberUpdate.optional(),
  /** The helper's record of the target (it may know that the target left). */
  view: memberUpdate.optional(),
})
export type PingReqAnswer = z.output<typeof pingReqAnswer>

/** POST /peer/gossip: membership news. */
export const gossipMessage = z.object({ from: memberUpdate, updates })
export type GossipMessage = z.output<typeof gossipMessage>

export const gossipAck = z.object({ ok: z.literal(true) })
export type GossipAck = z.output<typeof gossipAck>

/** POST /peer/sync: here is everything I know; answer with everything you know. */
export const syncMessage = z.object({ from: memberUpdate, members: updates })
export type SyncMessage = z.output<typeof syncMessage>

export const syncAnswer = z.object({ members: updates })
export type SyncAnswer = z.output<typeof syncAnswer>

/** POST /peer/join: admit me. `relay`: tell the others (the joiner knows only you). */
export const joinMessage = z.object({ member: memberUpdate, relay: z.boolean() })
export type JoinMessage = z.output<typeof joinMessage>

/** The answer to a join: the member answering, and the others it knows. */
export const memberList = z.object({ self: memberUpdate, members: updates })
export type MemberList = z.output<typeof memberList>

/**
 * The membership's exchanges, by name: each route (handlers/peer/<name>.post.ts), its message and
 * its answer. Senders call the transport with one of these; receivers validate with it.
 */
export const PEER_MESSAGES = {
  ping: { path: '/peer/ping', message: pingMessage, answer: pingAck },
  'ping-req': { path: '/peer/ping-req', message: pingReqMessage, answer: pingReqAnswer },
  gossip: { path: '/peer/gossip', message: gossipMessage, answer: gossipAck },
  sync: { path: '/peer/sync', message: syncMessage, answer: syncAnswer },
  join: { path: '/peer/join', message: joinMessage, answer: memberList },
} as const satisfies Record<string, ExchangeKind>

export type PeerKind = keyof typeof PEER_MESSAGES
export type PeerMessage<K extends PeerKind> = z.output<(typeof PEER_MESSAGES)[K]['message']>
export type PeerAnswer<K extends PeerKind> = z.output<(typeof PEER_MESSAGES)[K]['answer']>

/** The schema a receiver validates a message of this kind with, typed for the kind. */
export function messageSchema<K extends PeerKind>(kind: K): z.ZodType<PeerMessage<K>> {
  // TypeScript cannot follow a generic key into the table's union of schemas.
  return PEER_MESSAGES[kind].message as unknown as z.ZodType<PeerMessage<K>>
}
