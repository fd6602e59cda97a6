import type { Stock } from '../../db/contract.ts'
import { skuPath, type Api } from '../api.ts'
import { parsed, positionals, type Command } from '../command.ts'
import { UsageError } from '../errors.ts'
import { stockTable, when } from '../format.ts'
import * as input from '../input.ts'
import { printJson, type Io } from '../io.ts'
import { LIST_OPTIONS, printList } from '../list-options.ts'
import { SCREEN_ROWS, browse } from '../pager.ts'
import { pickItem } from '../pick-item.ts'
import { details } from '../table.ts'

const EMPTY = 'The catalogue is empty: add an item first (Items › Add an item).'
const NOTHING_LOW = 'Nothing is low: every item is above its reorder point.'

function stockPages(api: Api, low: boolean) {
  return async (limit: number, cursor: string | undefined) => {
    const page = await api.get<{ stock: Stock[]; nextCursor: string | null }>('/stock', {
      low: low || undefined,
      limit,
      cursor,
    })
    return { rows: page.stock, nextCursor: page.nextCursor }
  }
}

function stockDetails(s: Stock): string {
  return details([
    ['SKU', s.sku],
    ['Name', s.name],
    ['On hand', `${s.onHand} ${s.unit}`],
    ['Reorder at', `${s.reorderPoint} ${s.unit}${s.low ? '  (low: reorder now)' : ''}`],
    ['Last change', s.lastSeq ? `${when(s.updatedAt)} (ledger entry #${s.lastSeq})` : 'none yet'],
  ])
}

export const stock: Command = {
  name: 'stock',
  summary: 'show stock on hand',
  synopsis: '[SKU] [--low] [--limit N | --all]',
  description:
    'Without SKU: on hand for every item, in SKU order; with --low, only items at or below their reorder point (what to reorder). With SKU: on hand of that one item.',
  options: {
    low: { type: 'boolean', help: 'only items at or below their reorder point' },
    ...LIST_OPTIONS,
  },
  examples: ['almacen stock BOLT-M8', 'almacen stock --low', 'almacen stock --all --json'],
  async run(io, args) {
    const [text] = positionals(args, [], ['SKU'])
    if (text !== undefined) {
      if (args.values.low || args.values.all || args.values.limit !== undefined) {
        throw new UsageError('--low, --limit and --all are for the list, not for one SKU')
      }
      const one = await io.api.get<Stock>(`/stock/${skuPath(parsed(input.sku, text, 'SKU'))}`)
      return io.json ? printJson(io, one) : io.print(stockDetails(one))
    }
    const low = Boolean(args.values.low)
    const pages = stockPages(io.api, low)
    await printList(
      io,
      args,
      'stock',
      pages,
      (rows) => stockTable(rows, io.columns),
      low ? NOTHING_LOW : EMPTY
    )
  },
}

/** Stock › On hand, every item. */
export async function onHand(io: Io) {
  const pages = stockPages(io.api, false)
  await browse(
    io,
    (cursor) => pages(SCREEN_ROWS, cursor),
    (rows) => stockTable(rows, io.columns),
    EMPTY
  )
}

/** Stock › Low stock: what to reorder. */
export async function lowStock(io: Io) {
  const pages = stockPages(io.api, true)
  await browse(
    io,
    (cursor) => pages(SCREEN_ROWS, cursor),
    (rows) => stockTable(rows, io.columns),
    NOTHING_LOW
  )
}

/** Stock › One item. */
export async function stockOfOne(io: Io) {
  const item = await pickItem(io, 'Item')
  io.print(stockDetails(item))
}
