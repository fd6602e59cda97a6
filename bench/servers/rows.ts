// Ledger rows as SQLite stores them (snake_case) and as the API returns them (camelCase), through
// almacen's own row codec, and the next row of the chain as both baselines write it.
import type { Movement } from '../../db/contract/index.ts'
import { GENESIS_HASH, hashMovement } from '../../db/ledger/hash.ts'
import { MOVEMENT_ROW, type MovementRow } from '../../db/ledger/row.ts'

export type { MovementRow }

export const toMovement = (row: MovementRow): Movement => MOVEMENT_ROW.fromRow(row)

/** The same row with the column names SQLite uses, for an insert. */
export const toRow = (movement: Movement): MovementRow => MOVEMENT_ROW.toRow(movement)

/** An insert of one row from `toRow`'s named parameters (better-sqlite3). */
export const INSERT_MOVEMENT = MOVEMENT_ROW.insertNamed

/** A receipt or issue appended after `head` (the ledger's last row), hashed as almacen hashes it. */
export function nextMovement(
  head: { seq: number; hash: string } | undefined,
  change: Pick<Movement, 'type' | 'sku' | 'quantity' | 'delta' | 'balanceAfter'> & {
    reference?: string
    note?: string
  }
): Movement {
  const fields = {
    seq: (head?.seq ?? 0) + 1,
    type: change.type,
    sku: change.sku,
    quantity: change.quantity,
    delta: change.delta,
    countedQuantity: null,
    balanceAfter: change.balanceAfter,
    reference: change.reference ?? '',
    note: change.note ?? '',
    createdAt: new Date().toISOString(),
    prevHash: head?.hash ?? GENESIS_HASH,
  }
  return { ...fields, hash: hashMovement(fields) }
}
