// --limit and --all, shared by every one-shot command that prints a list.
import type { Args, OptionSpec } from './command.ts'
import { optional } from './command.ts'
import { UsageError } from './errors.ts'
import * as input from './input.ts'
import { printJson, type Io } from './io.ts'
import { collect, type FetchPage, type Render } from './pager.ts'

export const LIST_OPTIONS: Record<string, OptionSpec> = {
  limit: { type: 'string', arg: 'N', help: 'at most N rows, 1-500 (default 50)' },
  all: { type: 'boolean', help: 'every row, fetching page after page' },
}

/**
 * Prints one page (or, with --all, every page) of a list. `name` is the list's field in the
 * node's JSON (`items`, `stock`, `movements`), kept as is for --json.
 */
export async function printList<T>(
  io: Io,
  args: Args,
  name: string,
  fetchPage: FetchPage<T>,
  render: Render<T>,
  empty: string
) {
  const limit = optional(args, 'limit', input.limit)
  if (args.values.all && limit !== undefined)
    throw new UsageError('give --limit or --all, not both')
  const page = args.values.all
    ? { rows: await collect(fetchPage), nextCursor: null }
    : await fetchPage(limit ?? 50, undefined)
  if (io.json) return printJson(io, { [name]: page.rows, nextCursor: page.nextCursor })
  io.print(page.rows.length ? render(page.rows, io.columns) : empty)
  if (page.nextCursor) io.note(`(more ${name} than shown: use --all, or --limit up to 500)`)
}
