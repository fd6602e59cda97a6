import type { Adopted, NetworkItemPage } from '../../api/index.ts'
import { skuPath } from '../api.ts'
import { KEY_OPTION, keyOf, parsed, positionals, type Command } from '../command.ts'
import { NotThere, UsageError } from '../errors.ts'
import * as input from '../input.ts'
import { printJson, type Io } from '../io.ts'

/** The peer defining `sku` whose name (any case) or node id is `from`, as the node knows it. */
async function peerOf(io: Io, sku: string, from: string) {
  const { items } = await io.api.get<NetworkItemPage>('/network/items', { search: sku, limit: 500 })
  const peers = (items.find((i) => i.sku === sku)?.origins ?? []).filter((o) => !o.here)
  const wanted = from.toLowerCase()
  const named = peers.filter((o) => o.node.id === from || o.node.name.toLowerCase() === wanted)
  if (named.length === 1) return named[0].node
  const known = peers.map((o) => `${o.node.name} (${o.node.id})`).join(', ')
  if (named.length > 1)
    throw new UsageError(`two warehouses are named ${from}: give its id: ${known}`)
  throw new NotThere(
    known
      ? `no other warehouse named ${from} defines ${sku}; it is defined at ${known}`
      : `no other warehouse defines ${sku}, as far as this node's replicas know`
  )
}

export const adopt: Command = {
  name: 'adopt',
  summary: "take another warehouse's item into this catalogue",
  synopsis: 'SKU --from WAREHOUSE [--key KEY]',
  description:
    "Copies the definition of SKU (name, unit, description, reorder point) that another warehouse uses, as this node's replica of it holds it, into this node's own catalogue. WAREHOUSE is its name or node id (almacen items --network lists who defines what). Refused when this catalogue already has SKU with another definition.",
  options: {
    from: {
      type: 'string',
      arg: 'WAREHOUSE',
      help: 'the warehouse (name or node id) to copy from',
    },
    key: KEY_OPTION,
  },
  examples: ['almacen adopt ROPE-10 --from Norte'],
  async run(io, args) {
    const [text] = positionals(args, ['SKU'])
    const sku = parsed(input.sku, text!, 'SKU')
    const from = args.values.from
    if (typeof from !== 'string' || !from.trim()) throw new UsageError('give --from WAREHOUSE')
    const peer = await peerOf(io, sku, from.trim())
    const result = await io.api.post<Adopted>(
      `/items/${skuPath(sku)}/adopt`,
      { from: peer.id },
      keyOf(args)
    )
    if (io.json) return printJson(io, result)
    const { item } = result
    io.print(
      result.adopted
        ? `Adopted ${item.sku} from ${peer.name}: ${item.name}, counted in ${item.unit}. Its stock here starts at 0 ${item.unit}.`
        : `${item.sku} is already in this catalogue as ${peer.name} defines it: nothing changed.`
    )
  },
}
