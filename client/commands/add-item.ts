import type { ItemInput } from '../../db/contract/index.ts'
import type { Item } from '../records.ts'
import { skuPath } from '../api.ts'
import { ask, askOptional, askParsed, confirm } from '../ask.ts'
import { KEY_OPTION, keyOf, optional, parsed, positionals, type Command } from '../command.ts'
import { UsageError } from '../errors.ts'
import * as input from '../input.ts'
import { printJson, type Io } from '../io.ts'
import { details } from '../table.ts'

export const name = input.text(200, true)
export const unit = input.text(20, true)
export const description = input.text(2000)

const added = (item: Item) =>
  `Added ${item.sku} "${item.name}" (unit ${item.unit}, reorder point ${item.reorderPoint ?? 'none'}). Its stock starts at 0.`

export const addItem: Command = {
  name: 'add-item',
  summary: 'add an item to the catalogue',
  synopsis: 'SKU --name NAME --unit UNIT [--reorder-point N] [--description TEXT] [--key KEY]',
  description:
    'Adds SKU (1-64 letters, digits, dots, dashes or underscores; stored upper-case) to the catalogue with its stock at zero. The unit is what quantities are counted in (ea, box, kg, m); it can change only until the first movement.',
  options: {
    name: { type: 'string', arg: 'NAME', help: 'what staff call it (required)' },
    unit: { type: 'string', arg: 'UNIT', help: 'the unit quantities are counted in (required)' },
    'reorder-point': {
      type: 'string',
      arg: 'N',
      help: 'stock at or below N shows as low (default: none, never low)',
    },
    description: { type: 'string', arg: 'TEXT', help: 'size, material, supplier, shelf…' },
    key: KEY_OPTION,
  },
  examples: ['almacen add-item BOLT-M8 --name "Bolt M8 zinc" --unit ea --reorder-point 50'],
  async run(io, args) {
    const [text] = positionals(args, ['SKU'])
    const body: ItemInput = {
      sku: parsed(input.sku, text!, 'SKU'),
      name: required(args.values.name, '--name', name),
      unit: required(args.values.unit, '--unit', unit),
      // Omitted when none: the node's default is no reorder point.
      reorderPoint: optional(args, 'reorder-point', input.reorderPoint) ?? undefined,
      description: optional(args, 'description', description),
    }
    const item = await io.api.post<Item>('/items', body, keyOf(args))
    if (io.json) printJson(io, item)
    else io.print(added(item))
  },
}

function required(value: unknown, flag: string, parse: input.Parse<string>) {
  if (typeof value !== 'string') throw new UsageError(`${flag} is required`)
  return parsed(parse, value, flag)
}

/** Items › Add an item. */
export async function addItemInteractively(io: Io) {
  const lookup = io.api.quiet()
  const sku = await ask<string>(io, {
    type: 'text',
    message: 'New SKU (letters, digits, . _ -)',
    async validate(value: string) {
      const format = input.validator(input.sku, 'The SKU')(value)
      if (format !== true) return format
      // Cannot tell (node down, slow)? Let it through: the node refuses a duplicate anyway.
      const found = await lookup
        .get<Item>(`/items/${skuPath(input.sku(value))}`)
        .catch(() => undefined)
      return found ? `${found.sku} already exists: ${found.name}` : true
    },
  })
  const body: ItemInput = {
    sku: input.sku(sku),
    name: await askParsed(io, 'Name', name, 'The name'),
    unit: await askParsed(io, 'Unit it is counted in (ea, box, kg, m…)', unit, 'The unit', 'ea'),
    reorderPoint:
      (await askParsed(
        io,
        'Reorder point: stock at or below it shows as low (Enter: none)',
        input.reorderPoint,
        'The reorder point'
      )) ?? undefined,
    description: await askOptional(io, 'Description', description, 'The description'),
  }
  io.print(
    details([
      ['SKU', body.sku],
      ['Name', body.name],
      ['Unit', body.unit],
      ['Reorder at', body.reorderPoint ?? 'none (never shown as low)'],
      ['Description', body.description],
    ])
  )
  if (!(await confirm(io, 'Add this item?'))) return io.print('Nothing added.')
  io.print(`✔ ${added(await io.api.post<Item>('/items', body))}`)
}
