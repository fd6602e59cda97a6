import type {
  Disposition,
  Item,
  ReceiveInput,
  Transfer,
  TransferDetail,
  TransferLine,
} from '../../api/index.ts'
import { skuPath } from '../api.ts'
import { askParsed, choose, confirm } from '../ask.ts'
import { KEY_OPTION, keyOf, optional, parsed, type Command } from '../command.ts'
import { EXIT, NodeRefusal, UsageError } from '../errors.ts'
import * as input from '../input.ts'
import { printJson, type Io } from '../io.ts'
import { table } from '../table.ts'
import { linesTable, receivedSentence, stateOf } from '../transfer-view.ts'
import { incomingTransfers, skuQuantities, transferPath } from '../transfers.ts'
import { getTransfer, receiveChoice } from './transfers.ts'

type ReceiptLine = ReceiveInput['lines'][number]

/** Records a receipt of transfer `id` and says what it did (`mark`: the menus' ✔). */
async function record(io: Io, id: string, body: ReceiveInput, key?: string, mark = '') {
  const result = await io.api.post<TransferDetail>(`${transferPath(id)}/receive`, body, key)
  if (io.json) return printJson(io, result)
  io.print(`${mark}${receivedSentence(result, body.lines)}`)
  io.print(linesTable(result.lines, io.columns))
}

/** Everything of a transfer that is still on its way, as lines received in full. */
async function everythingInTransit(io: Io, id: string): Promise<ReceiptLine[] | Transfer> {
  let detail: TransferDetail
  try {
    detail = await getTransfer(io.api, id)
  } catch (err) {
    if (!(err instanceof NodeRefusal) || err.status !== 404) throw err
    throw new NodeRefusal(
      err.status,
      err.code,
      `${err.message.replace(/\.$/, '')}. If its sender's message has not arrived yet, give what arrived (SKU QTY…) and --from WAREHOUSE.`,
      err.details
    )
  }
  const lines = detail.lines.filter((l) => l.inTransit > 0)
  return lines.length ? lines.map((l) => ({ sku: l.sku, received: l.inTransit })) : detail
}

export const receiveTransfer: Command = {
  name: 'receive-transfer',
  summary: 'record a transfer from another warehouse as arrived',
  synopsis: 'ID [SKU QTY…] [--final] [--from WAREHOUSE] [--key KEY]',
  description:
    "Without SKU QTY: everything of transfer ID still in transit arrived, and nothing more will come (a final receipt). With SKU QTY pairs: what arrived of each SKU, into this warehouse's stock; add --final when nothing more of the transfer will come. A transfer may be received before its sender's message has reached this node: then give the lines and --from, the sending warehouse (not needed once this node's replica of the sender shows the transfer leaving, and checked against it). Refused (exit 1) for a transfer cancelled, rejected or already received in full, or for more than is in transit.",
  options: {
    final: { type: 'boolean', help: 'nothing more of this transfer will come' },
    from: {
      type: 'string',
      arg: 'WAREHOUSE',
      help: "the sender (name or node id): needed only before its message has arrived, while this node's replica of it does not show the transfer",
    },
    key: KEY_OPTION,
  },
  examples: [
    'almacen receive-transfer 5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10',
    'almacen receive-transfer 5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10 BOLT-M8 30',
    'almacen receive-transfer 5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10 BOLT-M8 40 --final --from Sur',
  ],
  async run(io, args) {
    const [text, ...words] = args.positionals
    if (text === undefined) throw new UsageError('missing ID')
    const id = parsed(input.transferId, text, 'ID')
    const from = optional(args, 'from', input.warehouse)
    const key = keyOf(args) // checked before anything is sent
    const given = skuQuantities(words).map(({ sku, quantity }) => ({ sku, received: quantity }))
    let lines: ReceiptLine[] = given
    if (given.length) {
      const over = await overDue(io, id, given)
      if (over) {
        io.note(`almacen: ${over} Nothing was recorded.`)
        return EXIT.refused
      }
    } else {
      const all = await everythingInTransit(io, id)
      if (!Array.isArray(all)) {
        io.note(`almacen: nothing of transfer ${id} is in transit here: it is ${stateOf(all)}.`)
        return EXIT.refused
      }
      lines = all
    }
    const final = !given.length || Boolean(args.values.final)
    await record(io, id, { from, lines, final }, key)
  },
}

/**
 * A line that counts more than is on its way here, said; undefined when none does, or when its
 * sender's message has not come (then nothing is known to be due). As the menu asks: a count
 * over what is due is a typo until shown otherwise (the node books goods beyond what was sent
 * as a receipt of their own, so 30 typed for 3 would add 27).
 */
async function overDue(io: Io, id: string, given: ReceiptLine[]): Promise<string | undefined> {
  let detail: TransferDetail
  try {
    detail = await getTransfer(io.api, id)
  } catch (err) {
    if (err instanceof NodeRefusal && err.status === 404) return undefined
    throw err
  }
  // Only while goods are due: a transfer received in full, cancelled or rejected is the node's
  // to refuse, in its own words.
  const due = detail.lines.some((l) => l.inTransit > 0)
  if (detail.direction !== 'in' || detail.state === 'unannounced' || !due) return undefined
  for (const { sku, received } of given) {
    const onTheWay = detail.lines.find((l) => l.sku === sku)?.inTransit ?? 0
    if (received > onTheWay) {
      return `${sku}: ${received} is more than the ${onTheWay} of transfer ${id} on the way here; goods beyond what was sent are received with "almacen receive", as a receipt of their own.`
    }
  }
  return undefined
}

/** The item's unit for a question, when this node knows the item ("" when it does not). */
async function unitOf(io: Io, sku: string): Promise<string> {
  const item = await io.api
    .quiet()
    .get<Item>(`/items/${skuPath(sku)}`)
    .catch(() => undefined)
  return item ? `${item.unit} ` : ''
}

/** The choice that reads the list again. */
export const LOOK_AGAIN = '\u0000look-again'

/** Asks which incoming transfer arrived, looking again as often as the person asks. */
async function chooseIncoming(io: Io): Promise<string> {
  for (;;) {
    // Read afresh each time: a transfer shows here as soon as its sender's message has arrived.
    const waiting = await incomingTransfers(io.api)
    if (!waiting.length) io.print('  Nothing is on its way here yet.')
    const chosen = await choose(io, 'Which transfer arrived?', [
      ...waiting.map(receiveChoice),
      { title: '↻ Look again', value: LOOK_AGAIN },
    ])
    if (chosen !== LOOK_AGAIN) return chosen
  }
}

/** One line's questions: what arrived in good order, and what of the rest was damaged or short. */
async function askLine(io: Io, line: TransferLine, final: boolean): Promise<ReceiptLine | null> {
  const { sku, inTransit } = line
  const unit = await unitOf(io, sku)
  const received = await askParsed(
    io,
    `${sku}: how many ${unit}arrived in good order? (${inTransit} on the way)`,
    input.countUpTo(inTransit, `the ${inTransit} on the way`),
    'The quantity',
    String(inTransit)
  )
  const rest = inTransit - received
  if (rest === 0) return { sku, received }
  const damaged = await askParsed(
    io,
    `Of the other ${rest} ${unit.trimEnd()}, how many arrived damaged? (the rest ${final ? 'are missing' : 'are still to come'})`,
    input.countUpTo(rest),
    'The number damaged',
    '0'
  )
  // A final receipt closes the line: what neither arrived nor came damaged is short.
  const short = final ? rest - damaged : 0
  if (!damaged && !short) return received ? { sku, received } : null
  const disposition = await choose<Disposition>(
    io,
    `The ${damaged + short} ${unit}damaged or missing:`,
    [
      { title: 'Write off: the sender books the loss', value: 'write_off' },
      { title: 'Return: they go back to the sender', value: 'return' },
    ]
  )
  return { sku, received, damaged, short, disposition }
}

/** Transfers › Receive an incoming transfer. */
export async function receiveIncoming(io: Io) {
  const id = await chooseIncoming(io)
  const transfer = await getTransfer(io.api, id)
  const open = transfer.lines.filter((l) => l.inTransit > 0)
  if (!open.length) {
    io.print(`  Nothing of this transfer is known to be on its way: it is ${stateOf(transfer)}.`)
    return
  }
  io.print(linesTable(open, io.columns))
  const final = await confirm(io, 'Is this the last delivery of it (nothing more will come)?')
  const lines: ReceiptLine[] = []
  for (const line of open) {
    const answered = await askLine(io, line, final)
    if (answered) lines.push(answered)
  }
  if (!lines.length) return io.print('Nothing received: nothing arrived, nothing to record.')
  io.print(
    table(
      lines,
      [
        { header: 'SKU', value: (l) => l.sku },
        { header: 'RECEIVED', value: (l) => l.received },
        { header: 'DAMAGED', value: (l) => l.damaged ?? 0 },
        { header: 'SHORT', value: (l) => l.short ?? 0 },
        { header: 'THEN', value: (l) => l.disposition?.replace('_', ' ') ?? '' },
      ],
      io.columns
    )
  )
  const question = `Record this ${final ? 'final ' : ''}receipt from ${transfer.peerName}?`
  if (!(await confirm(io, question))) return io.print('Nothing recorded.')
  await record(io, id, { lines, final }, undefined, '✔ ')
}
