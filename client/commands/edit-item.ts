import type { Item, ItemPatch } from '../../api/index.ts'
import { skuPath } from '../api.ts'
import { askParsed, confirm } from '../ask.ts'
import { KEY_OPTION, keyOf, optional, parsed, positionals, type Command } from '../command.ts'
import { UsageError } from '../errors.ts'
import * as input from '../input.ts'
import { printJson, type Io } from '../io.ts'
import { pickItem } from '../pick-item.ts'
import { details } from '../table.ts'
import { description, name, unit } from './add-item.ts'

const LABELS: Record<string, string> = {
  name: 'Name',
  unit: 'Unit',
  description: 'Description',
  reorderPoint: 'Reorder point',
}

const shown = (value: unknown) =>
  value === '' ? '(empty)' : value === null ? '(none)' : String(value)

export const editItem: Command = {
  name: 'edit-item',
  summary: "change an item's name, unit, description or reorder point",
  synopsis:
    'SKU [--name NAME] [--unit UNIT] [--description TEXT] [--reorder-point N|none] [--key KEY]',
  description:
    'Changes the fields given and leaves the others as they are. The unit can change only before the item has any movement; the SKU never changes. --description "" clears the description; --reorder-point none removes the reorder point (the item is then never low).',
  options: {
    name: { type: 'string', arg: 'NAME', help: 'new name' },
    unit: { type: 'string', arg: 'UNIT', help: 'new unit (only before the first movement)' },
    description: { type: 'string', arg: 'TEXT', help: 'new description ("" clears it)' },
    'reorder-point': {
      type: 'string',
      arg: 'N',
      help: 'new reorder point; none removes it',
    },
    key: KEY_OPTION,
  },
  examples: ['almacen edit-item BOLT-M8 --reorder-point 80'],
  async run(io, args) {
    const [text] = positionals(args, ['SKU'])
    const sku = parsed(input.sku, text!, 'SKU')
    const patch: ItemPatch = {
      name: optional(args, 'name', name),
      unit: optional(args, 'unit', unit),
      description: optional(args, 'description', description),
      reorderPoint: optional(args, 'reorder-point', input.reorderPoint),
    }
    const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
    if (!Object.keys(changes).length) {
      throw new UsageError(
        'nothing to change: give --name, --unit, --description or --reorder-point'
      )
    }
    const item = await io.api.patch<Item>(`/items/${skuPath(sku)}`, changes, keyOf(args))
    if (io.json) printJson(io, item)
    else
      io.print(
        `Changed ${item.sku}: ${Object.keys(changes)
          .map((f) => LABELS[f].toLowerCase())
          .join(', ')}.`
      )
  },
}

/**
 * Items › Edit an item: each field is offered with its current value; Enter keeps it. The unit
 * is not offered once the item has movements: the node would refuse it after the confirmation.
 */
export async function editItemInteractively(io: Io) {
  const picked = await pickItem(io, 'Item to edit')
  const item = await io.api.get<Item>(`/items/${skuPath(picked.sku)}`)
  io.print('  Enter keeps the value shown.')
  // Said where the unit would be asked, in the order of the questions.
  const fixedUnit = () => {
    io.print(
      `  Unit: ${item.unit}. It cannot change: ${item.sku} already has movements counted in ${item.unit}.`
    )
    return item.unit
  }
  const next = {
    name: await askParsed(io, 'Name', name, 'The name', item.name),
    unit: picked.lastSeq ? fixedUnit() : await askParsed(io, 'Unit', unit, 'The unit', item.unit),
    description: await askParsed(
      io,
      'Description ("-" clears it)',
      description,
      'The description',
      item.description
    ),
    reorderPoint: await askParsed(
      io,
      'Reorder point ("-" removes it: never low)',
      input.reorderPoint,
      'The reorder point',
      item.reorderPoint === null ? '' : String(item.reorderPoint)
    ),
  }
  if (next.description === '-') next.description = ''
  const patch: ItemPatch = {}
  for (const field of ['name', 'unit', 'description', 'reorderPoint'] as const) {
    if (next[field] !== item[field]) Object.assign(patch, { [field]: next[field] })
  }
  if (!Object.keys(patch).length) return io.print('Nothing changed.')
  io.print(
    details(
      Object.entries(patch).map(([field, value]) => [
        LABELS[field],
        `${shown(item[field as keyof Item])} → ${shown(value)}`,
      ])
    )
  )
  if (!(await confirm(io, `Save these changes to ${item.sku}?`)))
    return io.print('Nothing changed.')
  const saved = await io.api.patch<Item>(`/items/${skuPath(item.sku)}`, patch)
  io.print(`✔ Saved ${saved.sku} (${saved.name}).`)
}
