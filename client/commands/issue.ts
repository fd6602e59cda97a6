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

export const issue: Command = {
  name: 'issue',
  summary: 'record goods taken out of stock',
  synopsis: 'SKU QTY [--ref REF] [--note TEXT] [--key KEY]',
  description:
    'Takes QTY (a whole number greater than zero) out of the stock of SKU and records an issue in the ledger. The node refuses an issue larger than what is on hand, and says by how much it is short (exit 1).',
  options: MOVEMENT_OPTIONS,
  examples: ['almacen issue BOLT-M8 40 --ref WO-881'],
  async run(io, args) {
    const [sku, quantity] = skuAndAmount(args, 'QTY', input.quantity)
    await recordFromArgs(io, args, { type: 'issue', sku, quantity })
  },
}

/** Movements › Issue goods. */
export async function issueGoods(io: Io) {
  const item = await pickItem(io, 'Item going out')
  if (item.onHand === 0) {
    io.print(`  Nothing to issue: there are 0 ${item.unit} of ${item.sku} on hand.`)
    return
  }
  io.print(`  On hand now: ${item.onHand} ${item.unit}`)
  const quantity = await askParsed(
    io,
    `How many ${item.unit} are going out?`,
    (text) => {
      const n = input.quantity(text)
      // Caught here to save a round trip; the node checks again, so a race cannot go negative.
      if (n > item.onHand) {
        throw new input.InputError(
          `must be at most ${item.onHand}: only ${item.onHand} ${item.unit} on hand`
        )
      }
      return n
    },
    'The quantity'
  )
  const extra = await askRefNote(io, 'Work order or delivery note')
  await recordAfterConfirming(
    io,
    item,
    { type: 'issue', sku: item.sku, quantity, ...extra },
    `Issue ${quantity} ${item.unit} of ${item.sku} (${item.name})?`
  )
}
