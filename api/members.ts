// The peer network as a client sees it: GET /members, POST /members/join, POST /members/leave.
import { z } from 'zod'
import { showable, withoutControls } from './fields.ts'

/**
 * A warehouse's name: a letter or digit, then letters, digits, spaces, dots, dashes or
 * underscores. What `--name` takes, and all a peer's messages may carry: a name goes into every
 * member's tables, terminals, logs and metrics labels.
 */
export const WAREHOUSE_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u
export const WAREHOUSE_NAME_RULE =
  'must be 1-64 letters, digits, spaces, dots, dashes or underscores'

/** A name as a peer sends it ('' where it may not know one yet). */
export const peerName = z.string().regex(WAREHOUSE_NAME, { error: WAREHOUSE_NAME_RULE })
export const peerNameOrNone = peerName.or(z.literal(''))

/** A node's id as a peer sends it: nodes make UUIDs; any visible ASCII up to 64 characters. */
export const NODE_ID = /^[\x21-\x7e]{1,64}$/
export const peerNodeId = z
  .string()
  .regex(NODE_ID, { error: 'must be 1-64 visible ASCII characters' })

/** Free text a peer sends (an item's name): no control or invisible characters. */
export const peerText = (max: number) =>
  z.string().max(max).refine(withoutControls, { error: 'must not contain control characters' })

/**
 * Free text a peer sends to be shown (an item's name in its stock answer): a control or
 * invisible character in it shows as U+FFFD, the rest as it is. A name from before the rules
 * (31c80be) costs one mark, not the whole answer of that warehouse.
 */
export const peerShownText = (max: number) => z.string().max(max).transform(showable)

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
// A host name or IPv4 address, or a bracketed IPv6 one; an optional port; nothing else.
const ADDRESS = new RegExp(
  `^https?://(${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]{2,45}\\])(?::(\\d{1,5}))?$`
)
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const UNSPECIFIED = new Set(['0.0.0.0', '[::]', '[0:0:0:0:0:0:0:0]'])

/**
 * Whether a string is a member's address: an http(s) base URL with a sane host and port, and no
 * credentials, path, query or fragment. Checked by pattern rather than by z.url(): it runs on
 * every member of every peer message, several times a second, and the address is only ever used
 * as the base of a request URL.
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

/** An address as a person gives it: a trailing slash is dropped. */
export const joinAddress = z
  .string()
  .transform((address) => address.replace(/\/+$/, ''))
  .pipe(memberAddress)

/** POST /members/join: any one of these members is enough. */
export const joinInput = z.strictObject({
  addresses: z
    .array(joinAddress)
    .min(1, { error: 'must name at least one node to join through' })
    .max(50, { error: 'must be at most 50 addresses' }),
})

export const MEMBER_STATES = ['alive', 'suspect', 'failed', 'left'] as const
export type MemberState = (typeof MEMBER_STATES)[number]

/** A node of the peer network as this node's peer list records it. */
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

/** One row of GET /members: the committed row, plus what this node has heard from it live. */
export interface NetworkMember extends Member {
  self: boolean
  lastHeardAt: string | null
  rttMs: number | null
  /** Why the last attempt to reach it failed, if it did. */
  problem: string | null
}

/** GET /members. `participating` is false after a leave, until a join. */
export interface Network {
  self: string
  participating: boolean
  /** Whether this node has the cluster key, without which it cannot talk to any other. */
  clusterKey: boolean
  members: NetworkMember[]
}

/** How a join through one address ended. */
export interface JoinOutcome {
  address: string
  ok: boolean
  reason?: string
}

/** POST /members/join. A join that reached nobody is refused with 502 PEER_UNREACHABLE. */
export interface Joined {
  joined: true
  outcomes: JoinOutcome[]
  /** The other members this node knows now (it is not among them). */
  members: Pick<Member, 'id' | 'name' | 'address' | 'state' | 'incarnation'>[]
}

/** POST /members/leave: ids of the members told that acknowledged, and of those not reached. */
export interface Left {
  left: true
  /** The node had left before this request (a retry, or two people at once). */
  alreadyLeft: boolean
  acknowledgedBy: string[]
  missed: string[]
}

/** POST /members/:id/force-leave: the member as now left, and who of the live members was told. */
export interface ForcedLeave {
  member: Pick<Member, 'id' | 'name' | 'state' | 'incarnation'>
  acknowledgedBy: string[]
  missed: string[]
}
