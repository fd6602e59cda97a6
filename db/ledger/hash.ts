import * as crypto from 'node:crypto'
import type { Movement } from '../contract/index.ts'
import { columnOf, KINDS, type Kinds, type Scalar } from './kinds.ts'

/** The hash the first movement chains from. */
export const GENESIS_HASH = '0'.repeat(64)

/** The last row of a ledger, as the next one chains to it. */
export interface LedgerHead {
  seq: number
  hash: string
}

/** The head of a ledger with no movements yet. */
export const EMPTY_LEDGER: LedgerHead = { seq: 0, hash: GENESIS_HASH }

// Every field that carries meaning in every row, in the order they are hashed, with its column: a
// changed, removed or reordered row breaks the chain. One list for the hash computed here and for
// the same JSON text built by SQLite (see HASHED_JSON_SQL), so the two cannot drift apart. It
// never changes (every row on disk was hashed over it); a kind's own fields are hashed after it.
const HASHED_FIELDS = [
  ['prevHash', 'prev_hash'],
  ['seq', 'seq'],
  ['type', 'type'],
  ['sku', 'sku'],
  ['quantity', 'quantity'],
  ['delta', 'delta'],
  ['countedQuantity', 'counted_quantity'],
  ['balanceAfter', 'balance_after'],
  ['reference', 'reference'],
  ['note', 'note'],
  ['createdAt', 'created_at'],
] as const satisfies readonly (readonly [keyof Movement, string])[]

/** A row to hash: a movement without its hash (and with the fields its kind carries). */
export type Unhashed = Omit<Movement, 'hash' | 'type'> & { type: string }

// crypto.hash, one call (Node 20.12 and later), costs half of createHash for a row's short text.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string })
  .hash

/** SHA-256 of a text, in hex. */
export const sha256: (text: string) => string = oneShot
  ? (text) => oneShot('sha256', text, 'hex')
  : (text) => crypto.createHash('sha256').update(text).digest('hex')

/**
 * The hash of a ledger row: SHA-256 over the JSON array of its hashed fields, the previous row's
 * hash first, then the fields its kind hashes (none for receipts, issues and adjustments), then
 * who made it when the row says (rows from before that was recorded say nothing, and keep their
 * hashes; the type fixes how many fields come before, so the array's length tells the two apart).
 */
export function hashMovement(row: Unhashed, kinds: Kinds = KINDS): string {
  const values: unknown[] = HASHED_FIELDS.map(([field]) => row[field])
  const own = row as unknown as Record<string, Scalar | undefined>
  for (const field of kinds[row.type]?.hashes ?? []) values.push(own[field] ?? null)
  if (row.actor != null) values.push(row.actor)
  return sha256(JSON.stringify(values))
}

/**
 * SQL for the text `hashMovement` hashes, built by SQLite from a `movements` row: a verify then
 * hashes one string per row instead of building each row as an object and serialising it again
 * (that was half its cost). SQLite's JSON text equals JSON.stringify's for every text the node
 * stores; a reader still re-checks a mismatch with `hashMovement` before calling a row changed.
 * (`|| ''` makes it plain text, so that it nests in another JSON value as a string.)
 */
export function hashedJsonSql(kinds: Kinds = KINDS): string {
  const common = HASHED_FIELDS.map(([, column]) => column)
  const own = Object.entries(kinds).filter(([, kind]) => kind.hashes?.length)
  const byType = (last: string[]) => {
    const array = (columns: string[]) => `json_array(${[...columns, ...last].join(', ')})`
    if (own.length === 0) return array(common)
    const cases = own.map(
      ([name, kind]) =>
        `WHEN '${name}' THEN ${array([...common, ...(kind.hashes ?? []).map(columnOf)])}`
    )
    return `CASE type ${cases.join(' ')} ELSE ${array(common)} END`
  }
  return `(CASE WHEN actor IS NULL THEN ${byType([])} ELSE ${byType(['actor'])} END || '')`
}

export const HASHED_JSON_SQL = hashedJsonSql()
