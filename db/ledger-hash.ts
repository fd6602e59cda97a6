import * as crypto from 'node:crypto'
import type { Movement } from './contract.ts'

/** The hash the first movement chains from. */
export const GENESIS_HASH = '0'.repeat(64)

// Every field that carries meaning, in the order they are hashed, with its column: a changed,
// removed or reordered row breaks the chain. One list for the hash computed here and for the same
// JSON text built by SQLite (see HASHED_JSON_SQL), so the two cannot drift apart.
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

// crypto.hash, one call (Node 20.12 and later), costs half of createHash for a row's short text.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string })
  .hash

/** SHA-256 of a text, in hex. */
export const sha256: (text: string) => string = oneShot
  ? (text) => oneShot('sha256', text, 'hex')
  : (text) => crypto.createHash('sha256').update(text).digest('hex')

/**
 * The hash of a ledger row: SHA-256 over the JSON array of its hashed fields, the previous row's
 * hash first.
 */
export function hashMovement(row: Omit<Movement, 'hash'>): string {
  return sha256(JSON.stringify(HASHED_FIELDS.map(([field]) => row[field])))
}

/**
 * SQL for the text `hashMovement` hashes, built by SQLite from a `movements` row: a verify then
 * hashes one string per row instead of building each row as an object and serialising it again
 * (that was half its cost). SQLite's JSON text equals JSON.stringify's for every text the node
 * stores; a reader still re-checks a mismatch with `hashMovement` before calling a row changed.
 * (`|| ''` makes it plain text, so that it nests in another JSON value as a string.)
 */
export const HASHED_JSON_SQL = `(json_array(${HASHED_FIELDS.map(([, column]) => column).join(', ')}) || '')`
