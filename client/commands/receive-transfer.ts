import { createHash, randomUUID } from 'node:crypto'
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

/** Transfer `id` as this node knows it, read once per command; undefined when it knows none. */
type Here = () => Promise<TransferDetail | undefined>

function transferHere(io: Io, id: string): Here {
  let read: Promise<TransferDetail | undefined> | undefined
  return () =>
    (read ??= getTransfer(io.api, id).catch((err: unknown) => {
      if (err instanceof NodeRefusal && err.status === 404) return undefined
      throw err
    }))
}

/** Everything of a transfer that is still on its way, as lines received in full. */
async function everythingInTransit(id: string, here: Here): Promise<ReceiptLine[] | Transfer> {
  const detail = await here()
  if (!detail) {
    throw new NodeRefusal(
      404,
      'NOT_FOUND',
      `No transfer ${id} here. If its sender's message has not arrived yet, give what arrived (SKU QTY…) and --from WAREHOUSE.`,
      [{ path: 'id', message: `no transfer ${id}` }]
    )
  }
  const lines = detail.lines.filter((l) => l.inTransit > 0)
  return lines.length ? lines.map((l) => ({ sku: l.sku, received: l.inTransit })) : detail
}

export const receiveTransfer: Command = {
  name: 'receive-transfer',
  summary: 'record a transfer from another warehouse as arrived',
  synopsis: 'ID [SKU QTY…] [--damaged SKU=N,…] [--final] [--return] [--from W]',
  description:
    "Without SKU QTY: everything of transfer ID still in transit arrived, and nothing more will come (a final receipt; with nothing in transit, it closes a transfer received in instalments). With SKU QTY pairs: what arrived of each SKU, into this warehouse's stock but for those --damaged names (how many of them arrived broken); add --final when nothing more of the transfer will come. Damaged goods, and on a final receipt what did not come, are written off by the sender, or with --return sent back to it. A transfer may be received before its sender's message has reached this node: then give the lines (or --damaged alone: all that arrived, broken) and --from, the sending warehouse (not needed once this node's replica of the sender shows the transfer leaving, and checked against it). Refused (exit 1) for a transfer cancelled, rejected or already received in full, or for more than is in transit. The receipt's id is its --key (a digest of a key over 100 characters): run again with the --key of a receipt whose outcome was unknown (exit 3), it says that receipt was recorded, if it was, and records nothing again.",
  options: {
    final: { type: 'boolean', help: 'nothing more of this transfer will come' },
    damaged: {
      type: 'string',
      arg: 'SKU=N,…',
      help: 'how many of what arrived of each SKU are damaged (not taken into stock)',
    },
    return: {
      type: 'boolean',
      help: "the damaged, and on a final receipt the missing (once the sender's message is here), go back to the sender (default: written off)",
    },
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
    'almacen receive-transfer 5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10 --damaged BOLT-M8=2 --return',
  ],
  async run(io, args) {
    const [text, ...words] = args.positionals
    if (text === undefined) throw new UsageError('missing ID')
    const id = parsed(input.transferId, text, 'ID')
    const from = optional(args, 'from', input.warehouse)
    const givenKey = keyOf(args) // checked before anything is sent
    const key = givenKey ?? randomUUID()
    const receiptId = receiptIdOf(key)
    const given: ReceiptLine[] = skuQuantities(words).map(({ sku, quantity }) => ({
      sku,
      received: quantity,
    }))
    const damaged = damagedOf(args.values.damaged as string | undefined)
    const here = transferHere(io, id)
    const disposition = args.values.return ? 'return' : 'write_off'
    let lines: ReceiptLine[] = given
    const damagedAlone = !given.length && damaged.length > 0
    // Damaged alone, before the sender's message (what was sent not known here): those are what
    // arrived. Once it is known, --damaged alone counts among everything in transit.
    const damagedOnly = damagedAlone && !announced(await here())
    const final = (!given.length && !damagedOnly) || Boolean(args.values.final)
    // Run again after an unknown outcome: the transfer has changed if the receipt was recorded,
    // so a request rebuilt from it now would not be the first one. Its receipt id tells.
    const done = givenKey === undefined ? undefined : recordedAs(await here(), receiptId)
    // Lines given, and nothing made of the transfer's state (the missing, sent back): sent again
    // as given (below, not held to what is in transit now), so the node answers the first
    // receipt's answer if it is the same, and refuses another under the same key.
    const asGiven = given.length > 0 && !(args.values.final && args.values.return)
    if (done && !asGiven) {
      // Made of the state, which the first run changed: its receipt found is this run's, unless
      // it is plainly another (a final run's key on a receipt not final, or the reverse). A run
      // of damaged alone is final or not as the sender's message had come: not judged so.
      if (!damagedAlone && done.receipt.final !== final) {
        io.note(
          `almacen: --key ${key} names another receipt of transfer ${id}, ${done.receipt.final ? 'a final one' : 'one not final'}: nothing was recorded. A new receipt takes a new key.`
        )
        return EXIT.refused
      }
      return alreadyRecorded(io, done.detail, key)
    }
    if (given.length || damagedOnly) {
      // What arrived as given, and how many of it are damaged (as the web page asks, and as
      // without SKU QTY): those are not taken into stock. A SKU only in --damaged arrived all
      // damaged.
      for (const { sku, damaged: n } of damaged) {
        if (!given.some((l) => l.sku === sku)) given.push({ sku, received: n })
      }
      const beyond = takeDamaged(given, damaged)
      if (beyond) {
        const { sku, n, due } = beyond
        throw new UsageError(`${sku}: ${n} damaged is more than the ${due} that arrived`)
      }
      const over = done ? undefined : overDue(id, given, await here())
      if (over) {
        io.note(`almacen: ${over} Nothing was recorded.`)
        return EXIT.refused
      }
    } else {
      const all = await everythingInTransit(id, here)
      // Received in instalments, each not final: nothing is on the road, and a final receipt
      // with no lines closes it (what no receipt accounted for is short).
      const closing = !Array.isArray(all) && all.state === 'partially_received'
      if (closing && damaged.length === 0) {
        await record(io, id, { from, receiptId, lines: [], final: true }, key)
        return
      }
      if (!Array.isArray(all)) {
        io.note(`almacen: nothing of transfer ${id} is in transit here: it is ${stateOf(all)}.`)
        return EXIT.refused
      }
      // Everything arrived: the damaged among it are not taken into stock.
      const beyond = takeDamaged(all, damaged)
      if (beyond) {
        const { sku, n, due } = beyond
        io.note(
          `almacen: ${sku}: ${n} damaged is more than the ${due} of transfer ${id} on the way here. Nothing was recorded.`
        )
        return EXIT.refused
      }
      lines = all
    }
    lines = lines.map((l) => ((l.damaged ?? 0) > 0 ? { ...l, disposition } : l))
    // Sent back, what did not come must be said line by line (a final receipt writes the rest off).
    if (final && disposition === 'return') lines = missingSentBack(io, id, lines, await here())
    await record(io, id, { from, receiptId, lines, final }, key)
  },
}

/**
 * The receipt id of a one-shot receipt, from its Idempotency-Key: the node lists the receipt ids
 * of a transfer, so a run again with the same --key finds whether its receipt was recorded. A key
 * longer than a receipt id may be (100) gives its digest.
 */
const receiptIdOf = (key: string) =>
  key.length <= 100 ? key : `key-sha256-${createHash('sha256').update(key).digest('hex')}`

/** The transfer, when it came here, and its receipt with this id, when it has one. */
function recordedAs(detail: TransferDetail | undefined, receiptId: string) {
  const receipt = detail?.receipts.find((r) => r.receiptId === receiptId)
  return detail?.direction === 'in' && receipt ? { detail, receipt } : undefined
}

/** A receipt run again with its key, found recorded: said, as done (exit 0). */
function alreadyRecorded(io: Io, detail: TransferDetail, key: string) {
  if (io.json) return printJson(io, detail)
  io.print(
    `The receipt sent with --key ${key} was recorded: transfer ${detail.id} from ${detail.peerName} is ${stateOf(detail)}. Nothing recorded again.`
  )
  io.print(linesTable(detail.lines, io.columns))
}

/**
 * Moves each --damaged count out of what arrived of its SKU (those are not taken into stock); the
 * first count beyond what arrived, if any (nothing is recorded then).
 */
function takeDamaged(
  lines: ReceiptLine[],
  damaged: { sku: string; damaged: number }[]
): { sku: string; n: number; due: number } | undefined {
  for (const { sku, damaged: n } of damaged) {
    const line = lines.find((l) => l.sku === sku)
    const due = line?.received ?? 0
    if (!line || n > due) return { sku, n, due }
    Object.assign(line, { received: due - n, damaged: n })
  }
  return undefined
}

/** Whether this node knows what a transfer carries (its sender's message has come). */
const announced = (detail: TransferDetail | undefined): detail is TransferDetail =>
  detail !== undefined && detail.state !== 'unannounced'

/** --damaged BOLT-M8=2,NUT-M8=1: the damaged count of each SKU. */
function damagedOf(text: string | undefined): { sku: string; damaged: number }[] {
  if (text === undefined) return []
  const out: { sku: string; damaged: number }[] = []
  for (const pair of text.split(',')) {
    const [skuText, count, ...more] = pair.split('=')
    if (count === undefined || more.length) {
      throw new UsageError(`--damaged takes SKU=N pairs, comma-separated: "${pair}" is not one`)
    }
    const sku = parsed(input.sku, skuText, 'the SKU of --damaged')
    if (out.some((d) => d.sku === sku)) throw new UsageError(`${sku} is given twice in --damaged`)
    out.push({ sku, damaged: parsed(input.quantity, count, `the damaged count of ${sku}`) })
  }
  return out
}

/** The lines of a final receipt with what did not come of each due line marked short, to return. */
function missingSentBack(
  io: Io,
  id: string,
  lines: ReceiptLine[],
  detail: TransferDetail | undefined
): ReceiptLine[] {
  if (!announced(detail)) {
    // What was sent is not known here yet: what did not come cannot be told, and the sender's
    // rule for a final receipt (the rest written off) applies when its message comes.
    io.note(
      `almacen: what did not come of transfer ${id} cannot be marked to return before its sender's message has arrived: a final receipt has the rest written off by the sender. Only the damaged go back.`
    )
    return lines
  }
  const out = [...lines]
  for (const due of detail.lines.filter((l) => l.inTransit > 0)) {
    const at = out.findIndex((l) => l.sku === due.sku)
    const line = at >= 0 ? out[at] : { sku: due.sku, received: 0 }
    const short = due.inTransit - line.received - (line.damaged ?? 0)
    if (short <= 0) continue
    const marked = { ...line, short, disposition: 'return' as const }
    if (at >= 0) out[at] = marked
    else out.push(marked)
  }
  return out
}

/**
 * A line that counts more than is on its way here, said; undefined when none does, or when its
 * sender's message has not come (then nothing is known to be due). As the menu asks: a count
 * over what is due is a typo until shown otherwise (the node books goods beyond what was sent
 * as a receipt of their own, so 30 typed for 3 would add 27).
 */
function overDue(
  id: string,
  given: ReceiptLine[],
  detail: TransferDetail | undefined
): string | undefined {
  // Only while goods are due: a transfer received in full, cancelled or rejected is the node's
  // to refuse, in its own words.
  if (!announced(detail) || detail.direction !== 'in') return undefined
  if (!detail.lines.some((l) => l.inTransit > 0)) return undefined
  for (const { sku, received, damaged = 0 } of given) {
    const onTheWay = detail.lines.find((l) => l.sku === sku)?.inTransit ?? 0
    if (received + damaged > onTheWay) {
      const counted = damaged ? `${received + damaged} (${damaged} of them damaged)` : `${received}`
      return `${sku}: ${counted} is more than the ${onTheWay} of transfer ${id} on the way here; goods beyond what was sent are received with "almacen receive", as a receipt of their own.`
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
