// The peer network as the client shows it: the node's member list (GET /members) as a table and a
// summary, shared by the Network menu and the members, join and leave commands.
import type { Member, MemberState } from '../db/contract/index.ts'
import { ago, plural } from './format.ts'
import { table, type Column } from './table.ts'

/** One row of GET /members: the committed row, plus what this node has heard from it live. */
export interface NetworkMember extends Member {
  self: boolean
  lastHeardAt: string | null
  rttMs: number | null
}

/** GET /members. `participating` is false after a leave, until a join. */
export interface Network {
  self: string
  participating: boolean
  members: NetworkMember[]
}

const STATES: MemberState[] = ['alive', 'suspect', 'failed', 'left']

function columns(now: number): Column<NetworkMember>[] {
  return [
    { header: 'NAME', value: (m) => (m.self ? `${m.name} (this node)` : m.name) },
    { header: 'STATE', value: (m) => m.state },
    { header: 'ADDRESS', value: (m) => m.address, shrink: true },
    // A node does not hear from itself: blank rather than a misleading "never".
    { header: 'LAST HEARD', value: (m) => (m.self ? '' : ago(m.lastHeardAt, now)) },
    {
      header: 'ROUND TRIP',
      value: (m) => (m.rttMs === null ? '' : `${m.rttMs.toFixed(1)} ms`),
      align: 'right',
    },
    { header: 'INCARNATION', value: (m) => m.incarnation },
  ]
}

export function membersTable(members: NetworkMember[], width?: number, now = Date.now()): string {
  return table(members, columns(now), width)
}

/**
 * What the table means, in a line or two: how many members in which state, and what to do when
 * this node is out of the network or alone in it.
 */
export function networkSummary(network: Network): string[] {
  const { members } = network
  const counts = STATES.map((state) => [state, members.filter((m) => m.state === state).length])
  const states = counts.filter(([, n]) => n).map(([state, n]) => `${n} ${state}`)
  const lines = [`${plural(members.length, 'member')}: ${states.join(', ')}`]
  const self = members.find((m) => m.self)
  if (!network.participating) {
    lines.push('This node has left the network; join to take part again.')
  } else if (self && members.length === 1) {
    lines.push(
      `No other node yet: join a network, or give other warehouses this node's address, ${self.address}.`
    )
  }
  return lines
}

/** A member's name for a sentence, by id; the id itself for one this node no longer lists. */
export function nameOf(network: Network, id: string): string {
  return network.members.find((m) => m.id === id)?.name ?? id
}
