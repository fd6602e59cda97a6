// Recording a movement, shared by receive, issue, count and adjust: the arguments and options
// they all take, the questions they all ask last, and the confirmation before anything is written.
import type { Movement, MovementInput, Stock } from '../api/index.ts'
import { skuPath } from './api.ts'
import { askOptional, confirm } from './ask.ts'
import {
  KEY_OPTION,
  keyOf,
  optional,
  parsed,
  positionals,
  type Args,
  type OptionSpec,
} from './command.ts'
import { describeMovement } from './format.ts'
import * as input from './input.ts'
import { printJson, type Io } from './io.ts'

export const reference = input.text(100)
export const note = input.text(1000)

export const MOVEMENT_OPTIONS: Record<string, OptionSpec> = {
  ref: {
    type: 'string',
    arg: 'REF',
    help: 'the paperwork it belongs to: purchase order, work order, delivery note (≤ 100 characters)',
  },
  note: { type: 'string', arg: 'TEXT', help: 'a remark kept in the ledger (≤ 1000 characters)' },
  key: KEY_OPTION,
}

/** The one-shot arguments: SKU, then the amount (`label`: QTY, DELTA), both checked. */
export function skuAndAmount<T>(args: Args, label: string, parse: input.Parse<T>): [string, T] {
  const [sku, amount] = positionals(args, ['SKU', label])
  return [parsed(input.sku, sku!, 'SKU'), parsed(parse, amount!, label)]
}

/**
 * The one-shot path: add --ref and --note, look the item up (for its unit, and a clear "no such
 * SKU"), then record.
 */
export async function recordFromArgs(io: Io, args: Args, movement: MovementInput) {
  const body = {
    ...movement,
    reference: optional(args, 'ref', reference),
    note: optional(args, 'note', note),
  }
  const key = keyOf(args) // checked before anything is sent
  const stock = await io.api.get<Stock>(`/stock/${skuPath(body.sku)}`)
  const recorded = await io.api.post<Movement>('/movements', body, key)
  if (io.json) printJson(io, recorded)
  else io.print(describeMovement(recorded, stock.unit))
}

/** The last two questions of every movement: the paperwork and a remark, both optional. */
export async function askRefNote(io: Io, referenceQuestion: string, noteQuestion = 'Note') {
  const ref = await askOptional(io, referenceQuestion, reference, 'The reference')
  const remark = await askOptional(io, noteQuestion, note, 'The note')
  return { reference: ref, note: remark }
}

/** The interactive path: say what will happen, ask, then record and say what happened. */
export async function recordAfterConfirming(
  io: Io,
  item: Stock,
  input: MovementInput,
  question: string
) {
  if (!(await confirm(io, question))) {
    io.print('Nothing recorded.')
    return
  }
  const movement = await io.api.post<Movement>('/movements', input)
  io.print(`✔ ${describeMovement(movement, item.unit)}`)
}
