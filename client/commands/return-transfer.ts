import type { ReturnInput, TransferDetail } from '../../api/index.ts'
import { KEY_OPTION, keyOf, optional, parsed, type Command } from '../command.ts'
import { UsageError } from '../errors.ts'
import * as input from '../input.ts'
import { printJson } from '../io.ts'
import { note } from '../movement.ts'
import { stateOf } from '../transfer-view.ts'
import { skuQuantities, transferPath } from '../transfers.ts'

export const returnTransfer: Command = {
  name: 'return-transfer',
  summary: 'book back goods of a transfer that came back',
  synopsis: 'ID [SKU QTY…] [--note TEXT] [--key KEY]',
  description:
    "Books goods of a transfer sent from here back into this warehouse's stock once they are back: after the receiving warehouse rejected it, agreed to cancel it, or sent some back with a receipt. Without SKU QTY: everything still due back. Refused (exit 1) for more than is due back.",
  options: {
    note: { type: 'string', arg: 'TEXT', help: 'a note for the ledger (≤ 1000 characters)' },
    key: KEY_OPTION,
  },
  examples: [
    'almacen return-transfer 5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10',
    "almacen return-transfer 5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10 BOLT-M8 5 --note 'on the van'",
  ],
  async run(io, args) {
    const [text, ...words] = args.positionals
    if (text === undefined) throw new UsageError('missing ID')
    const id = parsed(input.transferId, text, 'ID')
    const lines = skuQuantities(words)
    const given = optional(args, 'note', note)
    const key = keyOf(args)
    const body: ReturnInput = {
      ...(lines.length ? { lines } : {}),
      ...(given === undefined ? {} : { note: given }),
    }
    const result = await io.api.post<TransferDetail>(`${transferPath(id)}/return`, body, key)
    if (io.json) return printJson(io, result)
    io.print(bookedBackSentence(result))
  },
}

/** What a return did, in one sentence: all that is booked back of the transfer, and its state. */
export function bookedBackSentence(t: TransferDetail): string {
  const back = t.lines.filter((l) => l.returned).map((l) => `${l.sku} ×${l.returned}`)
  return `Booked back into stock from transfer ${t.id}: ${back.join(', ') || 'nothing'} in all. It is ${stateOf(t)}.`
}
