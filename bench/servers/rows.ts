// Ledger rows as SQLite stores them (snake_case), and as the API returns them (camelCase), and the
// next row of the chain as both baselines write it.
import type { Movement } from '../../db/contract.ts'
import { GENESIS_HASH, hashMovement } from '../../db/ledger-hash.ts'

export interface MovementRow {
  seq: number
  type: Movement['type']
  sku: string
  quantity: number
  delta: number
  counted_quantity: number | null
  balance_after: number
  reference: string
  note: string
  created_at: string
  prev_hash: string
  hash: string
}

export function toMovement(row: MovementRow): Movement {
  return {
    seq: row.seq,
    type: row.type,
    sku: row.sku,
    quantity: row.quantity,
    delta: row.delta,
    countedQuantity: row.counted_quantity,
    balanceAfter: row.balance_after,
    reference: row.reference,
    note: row.note,
    createdAt: row.created_at,
    prevHash: row.prev_hash,
    hash: row.hash,
  }
}

/** The same row with the column names SQLite uses, for an insert. */
export function toRow(m: Movement): MovementRow {
  return {
    seq: m.seq,
    type: m.type,
    sku: m.sku,
    quantity: m.quantity,
    delta: m.delta,
    counted_quantity: m.countedQuantity,
    balance_after: m.balanceAfter,
    reference: m.reference,
    note: m.note,
    created_at: m.createdAt,
    prev_hash: m.prevHash,
    hash: m.hash,
  }
}

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
