import type { Network, Stock, Transfer, TransferInput } from '../../api/index.ts'
import { askParsed, chooseByName, confirm } from '../ask.ts'
import { KEY_OPTION, keyOf, optional, parsed, type Args, type Command } from '../command.ts'
import { UsageError } from '../errors.ts'
import { plural } from '../format.ts'
import * as input from '../input.ts'
import { printJson, type Io } from '../io.ts'
import { askRefNote, note, reference } from '../movement.ts'
import { pickItemOrDone } from '../pick-item.ts'
import { table } from '../table.ts'
import { sentSentence } from '../transfer-view.ts'
import { skuQuantities } from '../transfers.ts'

/** --ref, or --reference as the transfer's field is called; not both. */
function referenceOf(args: Args): string | undefined {
  const ref = optional(args, 'ref', reference)
  const long = optional(args, 'reference', reference)
  if (ref !== undefined && long !== undefined)
    throw new UsageError('give --ref or --reference, not both')
  return ref ?? long
}

export const send: Command = {
  name: 'send',
  summary: 'send goods to another warehouse (a transfer)',
  synopsis: '--to WAREHOUSE SKU QTY [SKU QTY…] [--ref REF] [--note TEXT] [--key KEY]',
  description:
    "Sends QTY of each SKU to WAREHOUSE (a member's name or node id, as almacen members lists them). The goods leave this warehouse's stock at once and are in transit until WAREHOUSE receives them; the transfer waits for it if it is down or cut off. Refused (exit 1) when this warehouse has not enough of a SKU (with the shortfall), when WAREHOUSE is unknown, or is this warehouse. Prints the transfer's id, which almacen transfers ID follows.",
  options: {
    to: {
      type: 'string',
      arg: 'WAREHOUSE',
      help: 'where the goods go: its name or node id (required)',
    },
    ref: {
      type: 'string',
      arg: 'REF',
      help: 'the paperwork it belongs to: delivery note, order (≤ 100 characters)',
    },
    reference: { type: 'string', arg: 'REF', help: 'the same as --ref' },
    note: {
      type: 'string',
      arg: 'TEXT',
      help: 'a remark kept with the transfer (≤ 1000 characters)',
    },
    key: KEY_OPTION,
  },
  examples: [
    'almacen send --to Norte BOLT-M8 40 NUT-M8 100 --ref DN-311',
    'almacen send --to Norte BOLT-M8 40 --json | jq -r .id',
  ],
  async run(io, args) {
    if (typeof args.values.to !== 'string') throw new UsageError('give --to WAREHOUSE')
    const to = parsed(input.warehouse, args.values.to, '--to')
    if (!args.positionals.length) throw new UsageError('missing SKU and QTY')
    const body: TransferInput = {
      to,
      lines: skuQuantities(args.positionals),
      reference: referenceOf(args),
      note: optional(args, 'note', note),
    }
    const transfer = await io.api.post<Transfer>('/transfers', body, keyOf(args))
    if (io.json) printJson(io, transfer)
    else io.print(sentSentence(transfer))
  },
}

interface Line {
  item: Stock
  quantity: number
}

/** The other warehouses one may send to, as this node knows them; null when there is none. */
async function chooseDestination(io: Io) {
  const network = await io.api.get<Network>('/members')
  const peers = network.members.filter((m) => !m.self && m.state !== 'left')
  if (!peers.length) {
    io.print(
      '  There is no other warehouse to send to: join a network first (Network › Join a network).'
    )
    return null
  }
  const id = await chooseByName(
    io,
    'Send to which warehouse?',
    peers.map((m) => ({
      title:
        m.state === 'alive' ? m.name : `${m.name} (${m.state}: it gets the transfer when back)`,
      value: m.id,
      name: m.name,
    }))
  )
  return peers.find((m) => m.id === id)!
}

/** Items and quantities, one after the other, until Enter on an empty item. */
async function askLines(io: Io): Promise<Line[]> {
  const lines: Line[] = []
  for (;;) {
    const item = await pickItemOrDone(io, lines.length ? 'Next item' : 'Item to send')
    if (!item) return lines
    const { sku, unit, onHand } = item
    if (onHand === 0) {
      io.print(`  Nothing to send: there are 0 ${unit} of ${sku} on hand.`)
      continue
    }
    // Scanned again: more of it goes (a scanner's second scan is a second lot, not a correction).
    const earlier = lines.findIndex((l) => l.item.sku === sku)
    const had = earlier >= 0 ? lines[earlier].quantity : 0
    if (earlier >= 0) {
      io.print(
        `  ${sku} is on this transfer already (${had} ${unit}): the quantity is added to it.`
      )
    }
    const left = onHand - had
    if (left <= 0) {
      io.print(`  All ${onHand} ${unit} of ${sku} on hand are on this transfer already.`)
      continue
    }
    io.print(`  On hand now: ${onHand} ${unit}${had ? ` (${left} not on this transfer yet)` : ''}`)
    const quantity = await askParsed(
      io,
      `How many ${unit} of ${sku} go?`,
      (text) => {
        const n = input.quantity(text)
        // Caught here to save a round trip; the node checks again when it records the transfer.
        if (n > left) {
          const rest = had ? ` (${had} of them on this transfer already)` : ''
          throw new input.InputError(
            `must be at most ${left}: only ${onHand} ${unit} on hand${rest}`
          )
        }
        return n
      },
      'The quantity'
    )
    if (earlier >= 0) lines[earlier].quantity += quantity
    else lines.push({ item, quantity })
  }
}

/** Transfers › Send goods to another warehouse. */
export async function sendGoods(io: Io) {
  const peer = await chooseDestination(io)
  if (!peer) return
  const lines = await askLines(io)
  if (!lines.length) return io.print('Nothing sent: no item was chosen.')
  const extra = await askRefNote(io, 'Reference (delivery note, order)')
  io.print(
    table(
      lines,
      [
        { header: 'SKU', value: (l) => l.item.sku },
        { header: 'NAME', value: (l) => l.item.name, shrink: true },
        { header: 'QUANTITY', value: (l) => l.quantity },
        { header: 'UNIT', value: (l) => l.item.unit },
      ],
      io.columns
    )
  )
  const question = `Send ${plural(lines.length, 'line')} to ${peer.name}? They leave this warehouse's stock now.`
  if (!(await confirm(io, question))) return io.print('Nothing sent.')
  const body: TransferInput = {
    to: peer.id,
    lines: lines.map((l) => ({ sku: l.item.sku, quantity: l.quantity })),
    ...extra,
  }
  io.print(`✔ ${sentSentence(await io.api.post<Transfer>('/transfers', body))}`)
}
