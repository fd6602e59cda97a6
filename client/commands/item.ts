import type { Movement } from '../../db/contract/index.ts'
import type { Item, Stock } from '../records.ts'
import { skuPath, type Api } from '../api.ts'
import { parsed, positionals, type Command } from '../command.ts'
import { movementTable, reorderPoint, when } from '../format.ts'
import * as input from '../input.ts'
import { printJson, type Io } from '../io.ts'
import { pickItem } from '../pick-item.ts'
import { details } from '../table.ts'

/** An item's catalogue entry and its stock, as label: value lines. */
function itemDetails(item: Item, stock: Stock): string {
  return details([
    ['SKU', item.sku],
    ['Name', item.name],
    ['Unit', item.unit],
    ['Description', item.description],
    [
      'On hand',
      `${stock.onHand} ${item.unit}${stock.low ? '  (low: at or below its reorder point)' : ''}`,
    ],
    ['Reorder at', reorderPoint(item.reorderPoint, item.unit)],
    [
      'Last change',
      stock.lastSeq ? `${when(stock.updatedAt)} (ledger entry #${stock.lastSeq})` : 'none yet',
    ],
    ['Added', when(item.createdAt)],
  ])
}

async function lookUp(api: Api, sku: string) {
  const item = await api.get<Item>(`/items/${skuPath(sku)}`)
  const stock = await api.get<Stock>(`/stock/${skuPath(sku)}`)
  return { item, stock }
}

export const item: Command = {
  name: 'item',
  summary: 'show one item',
  synopsis: 'SKU',
  description:
    'Shows the catalogue entry of SKU (name, unit, description, reorder point) and its stock on hand. With --json, the catalogue entry as the node returns it.',
  examples: ['almacen item BOLT-M8'],
  async run(io, args) {
    const [text] = positionals(args, ['SKU'])
    const sku = parsed(input.sku, text!, 'SKU')
    if (io.json) return printJson(io, await io.api.get<Item>(`/items/${skuPath(sku)}`))
    const { item, stock } = await lookUp(io.api, sku)
    io.print(itemDetails(item, stock))
  },
}

/** Items › Show an item: its details and its last few movements. */
export async function showItem(io: Io) {
  const picked = await pickItem(io, 'Item')
  const { item, stock } = await lookUp(io.api, picked.sku)
  io.print(itemDetails(item, stock))
  const { movements } = await io.api.get<{ movements: Movement[] }>('/movements', {
    sku: item.sku,
    limit: 5,
  })
  if (movements.length) io.print(`\nLatest movements:\n${movementTable(movements, io.columns)}`)
}
