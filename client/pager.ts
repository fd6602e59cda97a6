// Lists come from the node a page at a time ({rows, nextCursor}). A person browses them page by
// page; a script with --all gets every page joined into one.
import type { Api, Query } from './api.ts'
import { choose } from './ask.ts'
import type { Io } from './io.ts'

export interface Page<T> {
  rows: T[]
  nextCursor: string | null
}

/** Up to `limit` rows of a list, from `cursor` (the start when undefined). */
export type FetchPage<T> = (limit: number, cursor: string | undefined) => Promise<Page<T>>

/** Rows as text for a terminal `width` columns wide (a table from format.ts). */
export type Render<T> = (rows: T[], width: number) => string

/** Rows per screen in the menus: enough to scan, few enough to fit a small terminal. */
export const SCREEN_ROWS = 20

/** The node's largest page, for fetching every row. */
const MOST_ROWS = 500

/**
 * The pages of one of the node's lists: GET `path` with `query`, its rows in the field `name`
 * (`items`, `stock`, `movements`).
 */
export function pagesOf<T>(api: Api, path: string, name: string, query: Query = {}): FetchPage<T> {
  return async function fetchPage(limit, cursor) {
    const page = await api.get<Record<string, unknown>>(path, { ...query, limit, cursor })
    return { rows: page[name] as T[], nextCursor: page.nextCursor as string | null }
  }
}

/** Shows one page, then offers the next until there is none or the person goes back. */
export async function browse<T>(
  io: Io,
  fetchPage: FetchPage<T>,
  render: Render<T>,
  empty: string
): Promise<void> {
  let cursor: string | undefined
  for (let page = 1; ; page++) {
    const { rows, nextCursor } = await fetchPage(SCREEN_ROWS, cursor)
    io.print(rows.length || page > 1 ? render(rows, io.columns) : empty)
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
    const { rows, nextCursor } = await fetchPage(MOST_ROWS, cursor)
    all.push(...rows)
    cursor = nextCursor ?? undefined
  } while (cursor)
  return all
}
