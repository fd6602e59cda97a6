import { writeFile } from 'node:fs/promises'
import { positionals, type Command } from '../command.ts'
import { isFileError, LocalFileError, UsageError } from '../errors.ts'

const WHAT = { items: '/items/export', stock: '/stock/export' } as const

export const exportList: Command = {
  name: 'export',
  summary: 'export the catalogue or the stock on hand as CSV or JSON',
  synopsis: 'items|stock [FILE] [--format csv|json]',
  description:
    'Writes the whole catalogue (items) or the stock on hand of every item (stock), in SKU order, to FILE or to the standard output. CSV (the default) has a header row; the items file is one that `almacen import items` takes back.',
  options: {
    format: { type: 'string', arg: 'FORMAT', help: 'csv (default) or json' },
  },
  examples: ['almacen export stock stock.csv', 'almacen export items --format json > items.json'],
  async run(io, args) {
    const [what, file] = positionals(args, ['WHAT'], ['FILE'])
    if (what !== 'items' && what !== 'stock') {
      throw new UsageError(`WHAT must be items or stock, not "${what}"`)
    }
    const format = args.values.format ?? 'csv'
    if (format !== 'csv' && format !== 'json') {
      throw new UsageError(`--format must be csv or json, not "${format}"`)
    }
    const text = await io.api.getText(WHAT[what], { format })
    if (file === undefined) return void io.print(text.replace(/\r?\n$/, ''))
    await writeFile(file, text).catch((err: unknown) => {
      throw isFileError(err) ? new LocalFileError(file, err) : err
    })
    io.note(`Wrote the ${what === 'items' ? 'catalogue' : 'stock'} to ${file}.`)
  },
}
