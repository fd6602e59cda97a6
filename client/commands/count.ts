import { askParsed } from '../ask.ts'
import type { Command } from '../command.ts'
import * as input from '../input.ts'
import type { Io } from '../io.ts'
import {
  MOVEMENT_OPTIONS,
  askRefNote,
  recordAfterConfirming,
  recordFromArgs,
  skuAndAmount,
} from '../movement.ts'
import { pickItem } from '../pick-item.ts'

export const count: Command = {
  name: 'count',
  summary: 'set stock to a counted quantity',
  synopsis: 'SKU QTY [--ref REF] [--note TEXT] [--key KEY]',
  description:
    'Records that QTY (a whole number, zero allowed) was counted on the shelf for SKU. The node records an adjustment by the difference from what it had, so on hand becomes QTY; a count that matches is recorded too, as proof of the check.',
  options: MOVEMENT_OPTIONS,
  examples: ['almacen count BOLT-M8 158 --note "cycle count, aisle 4"'],
  async run(io, args) {
    const [sku, countedQuantity] = skuAndAmount(args, 'QTY', input.count)
    await recordFromArgs(io, args, { type: 'adjustment', sku, countedQuantity })
  },
}

/**
 * Movements › Count an item. A blind count: the quantity on record is not shown before the
 * count is entered, so the person counts what is there rather than confirming a number.
 */
export async function countItem(io: Io) {
  const item = await pickItem(io, 'Item counted')
  const counted = await askParsed(
    io,
    `How many ${item.unit} did you count?`,
    input.count,
    'The count'
  )
  const extra = await askRefNote(io, 'Count sheet or reference')
  await recordAfterConfirming(
    io,
    item,
    { type: 'adjustment', sku: item.sku, countedQuantity: counted, ...extra },
    `Record a count of ${counted} ${item.unit} for ${item.sku} (${item.name})?`
  )
}
