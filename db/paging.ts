import { DomainError } from './domain-error.ts'

// Cursors are opaque to clients (base64url JSON), so their shape can change without breaking them.
export function encodeCursor(position: string | number): string {
  return Buffer.from(JSON.stringify({ p: position })).toString('base64url')
}

export function decodeCursor<T extends string | number>(
  cursor: string,
  kind: 'string' | 'number'
): T {
  try {
    const { p } = JSON.parse(Buffer.from(cursor, 'base64url').toString())
    if (typeof p === kind) return p as T
  } catch {
    // fall through to the refusal below
  }
  throw notACursor()
}

/**
 * The position of a page ordered on several text columns, as `page` was given it: the JSON text
 * of `count` strings. Anything else is refused as a cursor this node did not give out.
 */
export function decodeCursorStrings(cursor: string, count: number): string[] {
  try {
    const position: unknown = JSON.parse(decodeCursor<string>(cursor, 'string'))
    if (
      Array.isArray(position) &&
      position.length === count &&
      position.every((p) => typeof p === 'string')
    )
      return position
  } catch {
    // fall through to the refusal below
  }
  throw notACursor()
}

const notACursor = () =>
  new DomainError('BAD_REQUEST', 'cursor is not one this node gave out', [
    { path: 'cursor', message: 'is not a cursor from a previous page' },
  ])

/** Splits a fetched `limit + 1` rows into the page and the cursor of the next one. */
export function page<T>(rows: T[], limit: number, position: (row: T) => string | number) {
  const more = rows.length > limit
  const pageRows = more ? rows.slice(0, limit) : rows
  const last = pageRows[pageRows.length - 1]
  return { rows: pageRows, nextCursor: more && last ? encodeCursor(position(last)) : null }
}
