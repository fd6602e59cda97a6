import { askParsed } from '../ask.ts'
import { parsed, type Command } from '../command.ts'
import { UsageError } from '../errors.ts'
import { plural } from '../format.ts'
import * as input from '../input.ts'
import { printJson, type Io } from '../io.ts'
import type { Joined } from '../../api/index.ts'

/**
 * Asks the node to join through `addresses`; `next` says where to watch the network form. A join
 * that reached nobody is a 502, thrown as a NodeRefusal.
 */
async function joinThrough(io: Io, addresses: string[], next: string) {
  // No Idempotency-Key: the node keeps none for membership, and a join is safe to send again.
  const answer = await io.api.post<Joined>('/members/join', { addresses }, null)
  if (io.json) return printJson(io, answer)
  const width = Math.max(...answer.outcomes.map((o) => o.address.length))
  for (const o of answer.outcomes) {
    io.print(`${o.ok ? '✔' : '✖'} ${o.address.padEnd(width)}  ${o.ok ? 'joined' : o.reason}`)
  }
  const names = answer.members.map((m) => (m.state === 'alive' ? m.name : `${m.name} (${m.state})`))
  io.print(
    `Joined the network: this node knows ${plural(names.length, 'other member')} now${names.length ? ` (${names.join(', ')})` : ''}. ${next} shows how each is doing.`
  )
}

export const join: Command = {
  name: 'join',
  summary: 'join the peer network through one of its nodes',
  synopsis: 'URL [URL…]',
  description:
    "Joins this node (the one --url names) to the peer network through the node at URL, another warehouse's address as this node reaches it: any member will do, and the rest of the network learns of this node from it. Several URLs are tried at once and one answer is enough. This also takes back a node that left. Every node needs the same ALMACEN_CLUSTER_KEY. Prints the outcome for each URL; exit 0 when one of them answered, exit 1 with the node's message when none did.",
  examples: [
    'almacen join http://10.0.0.2:8080',
    'almacen join http://10.0.0.2:8080 http://10.0.0.3:8080 --json',
  ],
  async run(io, args) {
    if (!args.positionals.length) throw new UsageError('missing URL')
    const addresses = args.positionals.map((text) => parsed(input.nodeUrl, text, 'URL'))
    await joinThrough(io, addresses, "'almacen members'")
  },
}

/** Network › Join a network. */
export async function joinNetwork(io: Io) {
  io.print('  Any node already in the network will do, such as http://10.0.0.2:8080.')
  io.print('  Several addresses, separated by spaces, are tried at once; one answer is enough.')
  const addresses = await askParsed(
    io,
    'Address of a node in the network',
    input.nodeUrls,
    'The addresses'
  )
  await joinThrough(io, addresses, 'Network › Members')
}
