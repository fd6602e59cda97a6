import { confirm } from '../ask.ts'
import { positionals, type Command } from '../command.ts'
import { Cancelled, EXIT, UsageError } from '../errors.ts'
import { plural } from '../format.ts'
import { printJson, type Io } from '../io.ts'
import type { Left } from '../../api/index.ts'
import { nameOf, type Network } from '../network.ts'

// No Idempotency-Key: the node keeps none for membership, and leaving again is harmless (it
// answers alreadyLeft), so a lost answer is not reported as one to retry with a key.
const sendLeave = (io: Io) => io.api.post<Left>('/members/leave', undefined, null)

const STAYS_OUT =
  'It keeps serving its own stock, and stays out, even after a restart, until it joins again.'

const NOTHING_DONE = 'Nothing done: this node is still in the network.'

/** "Madrid", "Madrid and Sevilla", "Bilbao, Madrid and Sevilla". */
const listed = (names: string[]) =>
  names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`

/** Who a leave is announced to: the node tells the members it believes are up. */
const toTell = (network: Network) =>
  network.members.filter((m) => !m.self && (m.state === 'alive' || m.state === 'suspect'))

/**
 * Leaves, after saying what it means and asking (when `ask`); resolves to false when the person
 * said no, true when this node is out of the network (now or already).
 */
async function leaveAfterAsking(io: Io, ask: boolean, join: string): Promise<boolean> {
  const network = await io.api.get<Network>('/members')
  if (!network.participating) {
    io.print(`This node has already left the network; nothing to do. ${join} takes it back in.`)
    return true
  }
  if (ask) {
    const names = toTell(network).map((m) => m.name)
    const who = names.length
      ? `${listed(names)} ${names.length === 1 ? 'is' : 'are'} told and will show it as left`
      : 'no other member is up to be told'
    io.print(`Leaving takes this warehouse out of the peer network: ${who}. ${STAYS_OUT}`)
    if (!(await confirm(io, 'Leave the network?', false))) {
      io.print(NOTHING_DONE)
      return false
    }
  }
  const result = await sendLeave(io)
  if (result.alreadyLeft) {
    io.print(
      `This node had already left the network; nothing more to do. ${join} takes it back in.`
    )
    return true
  }
  const asked = result.acknowledgedBy.length + result.missed.length
  const after = ask ? '' : ` ${STAYS_OUT}` // already said before asking
  io.print(
    asked
      ? `✔ Left the network: ${result.acknowledgedBy.length} of ${plural(asked, 'member')} acknowledged.${after}`
      : `✔ Left the network (no other member was up to be told).${after}`
  )
  if (result.missed.length) {
    const names = listed(result.missed.map((id) => nameOf(network, id)))
    io.print(
      `✖ Not reached in time: ${names}. It learns of the leave from the others, or when it next reaches this node.`
    )
  }
  return true
}

export const leave: Command = {
  name: 'leave',
  summary: 'take this warehouse out of the peer network',
  synopsis: '[--yes]',
  description:
    "Takes this node out of the peer network: every member it can reach is told and shows it as left. The node keeps serving its own stock, and stays out, even after a restart, until 'almacen join URL'. At a terminal it explains this and asks first (the answer no exits 1); in a script (stdin not a terminal), or with --json, it sends nothing and exits 2 unless --yes is given.",
  options: { yes: { type: 'boolean', help: 'leave without asking' } },
  examples: ['almacen leave', 'almacen leave --yes --json'],
  async run(io, args) {
    positionals(args, [])
    const yes = Boolean(args.values.yes)
    if (!yes && (io.json || !io.canAsk)) {
      throw new UsageError('leaving the network needs confirmation: pass --yes (nothing was sent)')
    }
    if (io.json) return printJson(io, await sendLeave(io))
    const done = await leaveAfterAsking(io, !yes, "'almacen join URL'").catch((err) => {
      if (!(err instanceof Cancelled)) throw err
      io.print(NOTHING_DONE) // Ctrl-C at the question is a no
      return false
    })
    return done ? EXIT.ok : EXIT.refused
  },
}

/** Network › Leave the network. */
export async function leaveNetwork(io: Io) {
  await leaveAfterAsking(io, true, 'Network › Join a network')
}
