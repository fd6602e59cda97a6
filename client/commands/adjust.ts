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

export const adjust: Command = {
  name: 'adjust',
  summary: 'correct stock up or down by a difference',
  synopsis: 'SKU ±DELTA [--ref REF] [--note TEXT] [--key KEY]',
  description:
    'Records an adjustment of DELTA (a whole number with its sign: -2 for two damaged, +5 for five found) to the stock of SKU. Say why with --note. Stock never goes below zero: a larger reduction is refused (exit 1). To set stock to what was counted, use count.',
  options: MOVEMENT_OPTIONS,
  examples: [
    'almacen adjust BOLT-M8 -2 --note damaged',
    'almacen adjust BOLT-M8 +5 --note "found in aisle 7"',
  ],
  async run(io, args) {
    const [sku, delta] = skuAndAmount(args, 'DELTA', input.delta)
    await recordFromArgs(io, args, { type: 'adjustment', sku, delta })
  },
}

/** Movements › Adjust by a difference. */
export async function adjustItem(io: Io) {
  const item = await pickItem(io, 'Item to correct')
  io.print(`  On hand now: ${item.onHand} ${item.unit}`)
  const change = await askParsed(
    io,
    `Change in ${item.unit}: -2 takes two away, +5 adds five`,
    (text) => {
      const n = input.delta(text)
      if (item.onHand + n < 0) {
        throw new input.InputError(`must not take away more than the ${item.onHand} on hand`)
      }
      return n
    },
    'The change'
  )
  const extra = await askRefNote(io, 'Reference', 'Reason: damaged, found, miscounted…')
  const signed = change > 0 ? `+${change}` : String(change)
  await recordAfterConfirming(
    io,
    item,
    { type: 'adjustment', sku: item.sku, delta: change, ...extra },
    `Adjust ${item.sku} (${item.name}) by ${signed} ${item.unit}?`
  )
}
