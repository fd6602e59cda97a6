import { createHash } from 'node:crypto'
import type { Movement } from './contract.ts'

/** The hash the first movement chains from. */
export const GENESIS_HASH = '0'.repeat(64)

/**
 * The hash of a ledger row: SHA-256 over the previous row's hash and every field that carries
 * meaning, so a changed, removed or reordered row breaks the chain.
 */
export function hashMovement(row: Omit<Movement, 'hash'>): string {
  const fields = [
    row.prevHash,
    row.seq,
    row.type,
    row.sku,
    row.quantity,
    row.delta,
    row.countedQuantity,
    row.balanceAfter,
    row.reference,
    row.note,
    row.createdAt,
  ]
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex')
}
