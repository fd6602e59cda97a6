import type { Stock } from '../../api/index.ts'
import { skuPath, type Api } from '../api.ts'
import { parsed, positionals, type Command } from '../command.ts'
import { UsageError } from '../errors.ts'
import { reorderPoint, stockTable, when } from '../format.ts'
import * as input from '../input.ts'
import { printJson, type Io } from '../io.ts'
import { LIST_OPTIONS, printList } from '../list-options.ts'
import { browse, pagesOf } from '../pager.ts'
import { pickItem } from '../pick-item.ts'
import { details } from '../table.ts'

const EMPTY = 'The catalogue is empty: add an item first (Items › Add an item).'
const NOTHING_LOW = 'Nothing is low: every item is above its reorder point.'

const stockPages = (api: Api, low: boolean) =>
  pagesOf<Stock>(api, '/stock', 'stock', { low: low || undefined })

function stockDetails(s: Stock): string {
  return details([
    ['SKU', s.sku],
    ['Name', s.name],
    ['On hand', `${s.onHand} ${s.unit}`],
    // Sent from here on transfers not yet settled: out of on hand, not yet in the receiver's, or
    // received there and on their way back (a return disposition) until booked back here.
    [
      'In transit',
      s.inTransit ? `${s.inTransit} ${s.unit} sent: not yet received, or coming back` : null,
    ],
    ['Reorder at', `${reorderPoint(s.reorderPoint, s.unit)}${s.low ? '  (low: reorder now)' : ''}`],
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
    const empty = low ? NOTHING_LOW : EMPTY
    await printList(io, args, 'stock', stockPages(io.api, low), stockTable, empty)
  },
}

/** Stock › On hand, every item. */
export async function onHand(io: Io) {
  await browse(io, stockPages(io.api, false), stockTable, EMPTY)
}

/** Stock › Low stock: what to reorder. */
export async function lowStock(io: Io) {
  await browse(io, stockPages(io.api, true), stockTable, NOTHING_LOW)
}

/** Stock › One item. */
export async function stockOfOne(io: Io) {
  const item = await pickItem(io, 'Item')
  io.print(stockDetails(item))
}
