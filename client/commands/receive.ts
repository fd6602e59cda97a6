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

export const receive: Command = {
  name: 'receive',
  summary: 'record goods received into stock',
  synopsis: 'SKU QTY [--ref REF] [--note TEXT] [--key KEY]',
  description:
    "Adds QTY (a whole number greater than zero, in the item's unit) to the stock of SKU and records a receipt in the ledger. Prints the new quantity on hand.",
  options: MOVEMENT_OPTIONS,
  examples: [
    'almacen receive BOLT-M8 200 --ref PO-17',
    'almacen receive bolt-m8 50 --ref PO-18 --note "pallet 3" --json',
  ],
  async run(io, args) {
    const [sku, quantity] = skuAndAmount(args, 'QTY', input.quantity)
    await recordFromArgs(io, args, { type: 'receipt', sku, quantity })
  },
}

/** Movements › Receive goods. */
export async function receiveGoods(io: Io) {
  const item = await pickItem(io, 'Item received')
  io.print(`  On hand now: ${item.onHand} ${item.unit}`)
  const quantity = await askParsed(
    io,
    `How many ${item.unit} arrived?`,
    input.quantity,
    'The quantity'
  )
  const extra = await askRefNote(io, 'Purchase order or delivery note')
  await recordAfterConfirming(
    io,
    item,
    { type: 'receipt', sku: item.sku, quantity, ...extra },
    `Receive ${quantity} ${item.unit} of ${item.sku} (${item.name})?`
  )
}
