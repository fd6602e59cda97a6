import type { Knex } from 'knex'
import type * as C from '../contract.ts'
import { DomainError } from '../domain-error.ts'
import { GENESIS_HASH, hashMovement } from '../ledger-hash.ts'

const PAGE = 5000
/** Enough differences to act on; the count of all of them is still reported. */
const MAX_DIFFERENCES = 1000

function missing(from: number, to: number): string {
  return from === to ? `movement ${from} is missing` : `movements ${from}…${to} are missing`
}

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
  const lastSeqs = new Map<string, number>()
  let head = { seq: 0, hash: GENESIS_HASH }
  let checked = 0
  for (;;) {
    const rows: C.Movement[] = await trx('movements')
      .where('seq', '>', head.seq)
      .orderBy('seq')
      .limit(PAGE)
    for (const row of rows) {
      const { seq, sku } = row
      if (seq !== head.seq + 1) {
        note({
          kind: 'gap',
          seq,
          expected: head.seq + 1,
          actual: seq,
          message: missing(head.seq + 1, seq - 1),
        })
      }
      if (row.prevHash !== head.hash) {
        note({
          kind: 'chain',
          seq,
          expected: head.hash,
          actual: row.prevHash,
          message: `movement ${seq} does not link to the movement before it`,
        })
      }
      const { hash, ...fields } = row
      const computed = hashMovement(fields)
      if (computed !== hash) {
        note({
          kind: 'hash',
          seq,
          sku,
          expected: computed,
          actual: hash,
          message: `movement ${seq} was changed after it was written`,
        })
      }
      const sum = (sums.get(sku) ?? 0) + row.delta
      sums.set(sku, sum)
      lastSeqs.set(sku, seq)
      if (row.balanceAfter !== sum) {
        note({
          kind: 'balance-after',
          seq,
          sku,
          expected: sum,
          actual: row.balanceAfter,
          message: `movement ${seq} records ${row.balanceAfter} on hand for ${sku}, the ledger sums to ${sum}`,
        })
      }
      if (sum < 0) {
        note({
          kind: 'negative',
          seq,
          sku,
          actual: sum,
          message: `the ledger takes ${sku} below zero at movement ${seq}`,
        })
      }
      head = { seq, hash }
      checked++
    }
    if (rows.length < PAGE) break
  }

  const balances: { sku: string; onHand: number; lastSeq: number | null }[] = await trx(
    'balances'
  ).select('sku', 'onHand', 'lastSeq')
  const seen = new Set<string>()
  for (const { sku, onHand, lastSeq } of balances) {
    seen.add(sku)
    const expected = sums.get(sku) ?? 0
    if (onHand !== expected) {
      note({
        kind: 'balance',
        sku,
        expected,
        actual: onHand,
        message: `${sku} shows ${onHand} on hand, the ledger sums to ${expected}`,
      })
    }
    // Catches a lost last movement even when it did not change the sum (a count that matched).
    const last = lastSeqs.get(sku) ?? null
    if (lastSeq !== last) {
      note({
        kind: 'balance',
        sku,
        expected: last,
        actual: lastSeq,
        message: `${sku} records movement ${lastSeq} as its last, the ledger's last is ${last}`,
      })
    }
  }
  for (const [sku, expected] of sums) {
    if (!seen.has(sku)) {
      note({
        kind: 'balance',
        sku,
        expected,
        actual: null,
        message: `${sku} has movements but no balance`,
      })
    }
  }
  return {
    ok: total === 0,
    differences,
    checked: { movements: checked, balances: balances.length },
    head,
  }
}

/** Rewrites every balance that differs from what the ledger sums to; the ledger is not touched. */
export async function rebuild(trx: Knex): Promise<C.LedgerRebuild> {
  const sums: { sku: string; onHand: number; lastSeq: number }[] = await trx('movements')
    .select('sku')
    .sum({ onHand: 'delta' })
    .max({ lastSeq: 'seq' })
    .groupBy('sku')
  const bySku = new Map(sums.map((s) => [s.sku, s]))
  const items: { sku: string; onHand: number | null; lastSeq: number | null }[] = await trx('items')
    .leftJoin('balances', 'balances.sku', 'items.sku')
    .select('items.sku', 'balances.onHand', 'balances.lastSeq')
  const now = new Date().toISOString()
  const changes: C.LedgerRebuild['changes'] = []
  for (const item of items) {
    const sum = bySku.get(item.sku)
    const after = Number(sum?.onHand ?? 0)
    if (after < 0) {
      throw new DomainError(
        'CONFLICT',
        `The ledger sums to ${after} for ${item.sku}; run a verify and investigate before rebuilding`
      )
    }
    const lastSeq = sum?.lastSeq ?? null
    if (item.onHand === after && item.lastSeq === lastSeq) continue
    if (item.onHand !== after) changes.push({ sku: item.sku, before: item.onHand, after })
    await trx('balances')
      .insert({ sku: item.sku, onHand: after, lastSeq, updatedAt: now })
      .onConflict('sku')
      .merge()
  }
  return { rebuilt: items.length, changes }
}
