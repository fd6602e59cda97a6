// Lists come from the node a page at a time ({rows, nextCursor}). A person browses them page by
// page; a script with --all gets every page joined into one.
import { choose } from './ask.ts'
import type { Io } from './io.ts'

export interface Page<T> {
  rows: T[]
  nextCursor: string | null
}

export type FetchPage<T> = (cursor: string | undefined) => Promise<Page<T>>

/** Rows per screen in the menus: enough to scan, few enough to fit a small terminal. */
export const SCREEN_ROWS = 20

/** Shows one page, then offers the next until there is none or the person goes back. */
export async function browse<T>(
  io: Io,
  fetchPage: FetchPage<T>,
  render: (rows: T[]) => string,
  empty: string
): Promise<void> {
  let cursor: string | undefined
  for (let page = 1; ; page++) {
    const { rows, nextCursor } = await fetchPage(cursor)
    io.print(rows.length || page > 1 ? render(rows) : empty)
    if (!nextCursor) return
    const more = await choose(io, `Page ${page}: there is more.`, [
      { title: 'Next page', value: true },
      { title: 'Back', value: false },
    ])
    if (!more) return
    cursor = nextCursor
  }
}

/** Every page, in order. */
export async function collect<T>(fetchPage: FetchPage<T>): Promise<T[]> {
  const all: T[] = []
  let cursor: string | undefined
  do {
    const { rows, nextCursor } = await fetchPage(cursor)
    all.push(...rows)
    cursor = nextCursor ?? undefined
  } while (cursor)
  return all
}
