import type { Item, Movement } from '../../api/index.ts'
import { skuPath, type Api } from '../api.ts'
import { parsed, positionals, type Command } from '../command.ts'
import { movementTable } from '../format.ts'
import * as input from '../input.ts'
import type { Io } from '../io.ts'
import { LIST_OPTIONS, printList } from '../list-options.ts'
import { browse, pagesOf } from '../pager.ts'
import { pickItem } from '../pick-item.ts'

const movementPages = (api: Api, sku: string | undefined) =>
  pagesOf<Movement>(api, '/movements', 'movements', { sku })

export const history: Command = {
  name: 'history',
  summary: "show the ledger's movements, newest first",
  synopsis: '[SKU] [--limit N | --all]',
  description:
    "Lists ledger entries, newest first: number, time, SKU, type (receipt, issue, count, adjustment), the change, the balance after it, who made it, reference and note. With SKU, only that item's.",
  options: LIST_OPTIONS,
  examples: ['almacen history BOLT-M8 --limit 10', 'almacen history --all --json'],
  async run(io, args) {
    const [text] = positionals(args, [], ['SKU'])
    const sku = text === undefined ? undefined : parsed(input.sku, text, 'SKU')
    // A mistyped SKU is no item, not one without movements: the node says so (exit 1).
    if (sku) await io.api.get<Item>(`/items/${skuPath(sku)}`)
    const empty = sku ? `No movements of ${sku} yet.` : 'The ledger is empty.'
    await printList(io, args, 'movements', movementPages(io.api, sku), movementTable, empty)
  },
}

/** Movements › History of an item. */
export async function itemHistory(io: Io) {
  const item = await pickItem(io, 'History of')
  io.print(`  On hand now: ${item.onHand} ${item.unit}. Newest first:`)
  const empty = `No movements of ${item.sku} yet.`
  await browse(io, movementPages(io.api, item.sku), movementTable, empty)
}
