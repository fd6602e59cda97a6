import type { Item, NetworkItem } from '../../api/index.ts'
import type { Api } from '../api.ts'
import { askParsed } from '../ask.ts'
import { optional, positionals, type Command } from '../command.ts'
import { itemTable, networkItemTable } from '../format.ts'
import { UsageError } from '../errors.ts'
import * as input from '../input.ts'
import type { Io } from '../io.ts'
import { LIST_OPTIONS, printList } from '../list-options.ts'
import { browse, pagesOf } from '../pager.ts'

const search = input.text(100)

const itemPages = (api: Api, text: string | undefined) =>
  pagesOf<Item>(api, '/items', 'items', { search: text })

export const items: Command = {
  name: 'items',
  summary: 'list or search the catalogue',
  synopsis: '[--network [--conflicts]] [--search TEXT] [--limit N | --all]',
  description:
    "Lists items in SKU order: SKU, name, unit, reorder point and description. With --search, only items whose SKU, name or description contain TEXT (any case). With --network, every SKU known in the company (this node's catalogue and its replicas of the other warehouses'), with the warehouses that define it; SKUs whose warehouses use different units are marked.",
  options: {
    search: {
      type: 'string',
      arg: 'TEXT',
      help: 'only items whose SKU, name or description contain TEXT',
    },
    network: { type: 'boolean', help: 'the company-wide catalogue (GET /network/items)' },
    conflicts: { type: 'boolean', help: 'with --network: only SKUs defined with different units' },
    ...LIST_OPTIONS,
  },
  examples: [
    'almacen items --search bolt',
    'almacen items --all --json | jq -r ".items[].sku"',
    'almacen items --network --conflicts',
  ],
  async run(io, args) {
    positionals(args, [])
    const text = optional(args, 'search', search)
    if (args.values.conflicts && !args.values.network)
      throw new UsageError('--conflicts goes with --network')
    if (args.values.network) {
      const query = { search: text, unitsDiffer: args.values.conflicts ? 'true' : undefined }
      const pages = pagesOf<NetworkItem>(io.api, '/network/items', 'items', query)
      const empty = text ? `No SKU in the company matches "${text}".` : 'No SKU is known here.'
      return printList(io, args, 'items', pages, networkItemTable, empty)
    }
    const empty = text ? `No item matches "${text}".` : 'The catalogue is empty.'
    await printList(io, args, 'items', itemPages(io.api, text), itemTable, empty)
  },
}

function browseItems(io: Io, text: string | undefined, empty: string) {
  return browse(io, itemPages(io.api, text), itemTable, empty)
}

/** Items › List all items. */
export async function listItems(io: Io) {
  await browseItems(
    io,
    undefined,
    'The catalogue is empty: add an item first (Items › Add an item).'
  )
}

/** Items › Search. */
export async function searchItems(io: Io) {
  const text = await askParsed(
    io,
    'Search for (part of a SKU, name or description)',
    input.text(100, true),
    'The search'
  )
  await browseItems(io, text, `No item matches "${text}".`)
}
