import { positionals, type Command } from '../command.ts'
import { plural } from '../format.ts'
import { printJson } from '../io.ts'
import type { ForcedLeave, Network } from '../../api/index.ts'
import { nameOf } from '../network.ts'

export const forceLeave: Command = {
  name: 'force-leave',
  summary: 'remove a dead warehouse from the peer network for good',
  synopsis: 'NODE',
  description:
    'Marks NODE (its warehouse name, or its id when two share a name) as left, on this node and on every member it can reach, as if it had left by itself: for a node that died and will not come back, so that it stops showing as failed. Only a member this node sees as failed can be forced out; the node refuses an alive, suspect or left one, and exits 1 with its sentence. Should the node start again after all, it rejoins by itself.',
  examples: ['almacen force-leave Sevilla', 'almacen force-leave Sevilla --json'],
  async run(io, args) {
    const [node] = positionals(args, ['NODE']) as [string]
    // No Idempotency-Key: forcing out again is refused as already left, and changes nothing.
    const path = `/members/${encodeURIComponent(node)}/force-leave`
    const result = await io.api.post<ForcedLeave>(path, undefined, null)
    if (io.json) return printJson(io, result)
    const asked = result.acknowledgedBy.length + result.missed.length
    io.print(
      `✔ ${result.member.name} is left for good: ${asked ? `${result.acknowledgedBy.length} of ${plural(asked, 'member')} acknowledged` : 'no other member was up to be told'}.`
    )
    if (result.missed.length) {
      const network = await io.api.get<Network>('/members')
      const names = result.missed.map((id) => nameOf(network, id)).join(', ')
      io.print(`✖ Not reached in time: ${names}. They hear of it from the others.`)
    }
  },
}
