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
  summary: 'book back goods of a transfer that came back (or write them off)',
  synopsis: 'ID [SKU QTY…] [--write-off] [--note TEXT] [--key KEY]',
  description:
    "Books goods of a transfer sent from here back into this warehouse's stock once they are back: after the receiving warehouse rejected it, agreed to cancel it, or sent some back with a receipt. Without SKU QTY: everything still due back. With --write-off, goods a receipt sent back that will not come (missing, or lost on the way) are written off instead: they leave the stock in transit. Refused (exit 1) for more than is due back.",
  options: {
    'write-off': {
      type: 'boolean',
      help: 'they will not come back: write them off instead of booking them back',
    },
    note: { type: 'string', arg: 'TEXT', help: 'a note for the ledger (≤ 1000 characters)' },
    key: KEY_OPTION,
  },
  examples: [
    'almacen return-transfer 5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10',
    "almacen return-transfer 5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10 BOLT-M8 5 --note 'on the van'",
    'almacen return-transfer 5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10 --write-off --note lost',
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
    const writeOff = Boolean(args.values['write-off'])
    const step = writeOff ? 'write-off' : 'return'
    const result = await io.api.post<TransferDetail>(`${transferPath(id)}/${step}`, body, key)
    if (io.json) return printJson(io, result)
    io.print(writeOff ? writtenOffSentence(result) : bookedBackSentence(result))
  },
}

/** What a write-off of goods due back did, in one sentence: all written off, and the state. */
export function writtenOffSentence(t: TransferDetail): string {
  const off = t.lines.filter((l) => l.writtenOff).map((l) => `${l.sku} ×${l.writtenOff}`)
  return `Written off from transfer ${t.id}: ${off.join(', ') || 'nothing'} in all, damaged or missing. It is ${stateOf(t)}.`
}

/** What a return did, in one sentence: all that is booked back of the transfer, and its state. */
export function bookedBackSentence(t: TransferDetail): string {
  const back = t.lines.filter((l) => l.returned).map((l) => `${l.sku} ×${l.returned}`)
  return `Booked back into stock from transfer ${t.id}: ${back.join(', ') || 'nothing'} in all. It is ${stateOf(t)}.`
}
