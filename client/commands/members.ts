import { positionals, type Command } from '../command.ts'
import { printJson, type Io } from '../io.ts'
import { membersTable, networkSummary, type Network } from '../network.ts'

async function show(io: Io) {
  const network = await io.api.get<Network>('/members')
  if (io.json) return printJson(io, network)
  io.print(membersTable(network.members, io.columns))
  // A remark beside the rows (stderr for a script), so `almacen members | grep failed` finds rows.
  for (const line of networkSummary(network)) io.note(line)
}

export const members: Command = {
  name: 'members',
  summary: 'list the nodes in the peer network and how each is doing',
  synopsis: '',
  description:
    'Lists every node this one knows in the peer network, itself included and marked (this node): its warehouse name, state (alive; suspect: not answering, being checked; failed; left), address, when this node last heard from it, the round trip of its answers, and its incarnation (raised each time the node restarts, rejoins or refutes a suspicion, so the newest news about it wins). A summary line follows on stderr, and a warning when this node has left the network.',
  examples: ['almacen members', 'almacen members --json'],
  async run(io, args) {
    positionals(args, [])
    await show(io)
  },
}

/** Network › Members. */
export const networkMembers = show
