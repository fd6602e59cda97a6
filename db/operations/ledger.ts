import type { Knex } from 'knex'
import type * as C from '../contract.ts'
import { DomainError } from '../domain-error.ts'
import { GENESIS_HASH, hashMovement } from '../ledger-hash.ts'

const PAGE = 5000
/** Enough differences to act on; the count of all of them is still reported. */
const MAX_DIFFERENCES = 1000

/**
 * Replays the whole ledger: every row's hash and link to the row before, the sequence without
 * gaps, each row's running balance, and finally every stored balance against the replayed sums.
 */
export async function verify(trx: Knex): Promise<C.LedgerCheck> {
  const differences: C.LedgerDifference[] = []
  let total = 0
  const note = (d: C.LedgerDifference) => {
    total++
    if (differences.length < MAX_DIFFERENCES) differences.push(d)
  }
  const sums = new Map<string, number>()
  let head = { seq: 0, hash: GENESIS_HASH }
  for (;;) {
    const rows: C.Movement[] = await trx('movements')
      .where('seq', '>', head.seq)
      .orderBy('seq')
      .limit(PAGE)
    for (const row of rows) {
      if (row.seq !== head.seq + 1) {
        note({ kind: 'gap', seq: row.seq, expected: head.seq + 1, actual: row.seq,
          message: `movements ${head.seq + 1}…${row.seq - 1} are missing` })
      }
      if (row.prevHash !== head.hash) {
        note({ kind: 'chain', seq: row.seq, expected: head.hash, actual: row.prevHash,
          message: `movement ${row.seq} does not link to the movement before it` })
      }
      const { hash, ...fields } = row
      const computed = hashMovement(fields)
      if (computed !== hash) {
        note({ kind: 'hash', seq: row.seq, sku: row.sku, expected: computed, actual: hash,
          message: `movement ${row.seq} was changed after it was written` })
      }
      const sum = (sums.get(row.sku) ?? 0) + row.delta
      sums.set(row.sku, sum)
      if (row.balanceAfter !== sum) {
        note({ kind: 'balance-after', seq: row.seq, sku: row.sku, expected: sum, actual: row.balanceAfter,
          message: `movement ${row.seq} records ${row.balanceAfter} on hand for ${row.sku}, the ledger sums to ${sum}` })
      }
      if (sum < 0) {
        note({ kind: 'negative', seq: row.seq, sku: row.sku, actual: sum,
          message: `the ledger takes ${row.sku} below zero at movement ${row.seq}` })
      }
      head = { seq: row.seq, hash: row.hash }
    }
    if (rows.length < PAGE) break
  }

  const balances: { sku: string; onHand: number }[] = await trx('balances').select('sku', 'onHand')
  const seen = new Set<string>()
  for (const balance of balances) {
    seen.add(balance.sku)
    const expected = sums.get(balance.sku) ?? 0
    if (balance.onHand !== expected) {
      note({ kind: 'balance', sku: balance.sku, expected, actual: balance.onHand,
        message: `${balance.sku} shows ${balance.onHand} on hand, the ledger sums to ${expected}` })
    }
  }
  for (const [sku, expected] of sums) {
    if (!seen.has(sku)) {
      note({ kind: 'balance', sku, expected, actual: null,
        message: `${sku} has movements but no balance` })
    }
  }
  return { ok: total === 0, differences, checked: { movements: head.seq, balances: balances.length }, head }
}

/** Rewrites every balance that differs from what the ledger sums to; the ledger is not touched. */
export async function rebuild(trx: Knex): Promise<C.LedgerRebuild> {
  const sums: { sku: string; onHand: number; lastSeq: number }[] = await trx('movements')
    .select('sku')
    .sum({ onHand: 'delta' })
    .max({ lastSeq: 'seq' })
    .groupBy('sku')
  const bySku = new Map(sums.map((s) => [s.sku, s]))
  const items: { sku: string; onHand: number | null }[] = await trx('items')
    .leftJoin('balances', 'balances.sku', 'items.sku')
    .select('items.sku', 'balances.onHand')
  const now = new Date().toISOString()
  const changes: C.LedgerRebuild['changes'] = []
  for (const item of items) {
    const sum = bySku.get(item.sku)
    const after = Number(sum?.onHand ?? 0)
    if (after < 0) {
      throw new DomainError('CONFLICT', `The ledger sums to ${after} for ${item.sku}; run a verify and investigate before rebuilding`)
    }
    if (item.onHand === after) continue
    changes.push({ sku: item.sku, before: item.onHand, after })
    await trx('balances')
      .insert({ sku: item.sku, onHand: after, lastSeq: sum?.lastSeq ?? null, updatedAt: now })
      .onConflict('sku')
      .merge()
  }
  return { rebuilt: items.length, changes }
}
