import type { Knex } from 'knex'
import { ping } from './node.ts'
import type * as C from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import { diskFull } from '../disk-full.ts'
import { conclude, scan } from '../ledger/jobs.ts'
import { setProjections } from '../ledger/projections.ts'
import { readAnchor } from '../ledger/rows.ts'
import { checkHeadAndBalances, clearWitnessHalt } from '../ledger/start-check.ts'
import { afterCommit, ledgerState, ledgerStatus, unfinishedRestore } from '../ledger/state.ts'
import { LedgerVerifier } from '../ledger/verifier.ts'
import { withSql } from '../sql.ts'

export { verifyCancel, verifyFinish, verifyStart, verifyStep } from '../ledger/jobs.ts'

/** How long a finished verify vouches for the chain, for the rebuild that follows it. */
const VERIFIED_FRESH_MS = 30_000
const END = Number.MAX_SAFE_INTEGER

/**
 * Replays the whole ledger in one go: every row's hash and link to the row before, the sequence
 * without gaps, each row's running balance, the head anchor, and every stored balance against the
 * replayed sums. It holds the worker throughout: handlers run it as a job of steps instead.
 */
export async function verify(db: Knex): Promise<C.LedgerCheck> {
  return withSql(db, (sql) => conclude(db, sql, new LedgerVerifier(), 0))
}

function brokenChain(broken: C.LedgerDifference[]): DomainError {
  const shown = broken.slice(0, 5).map((d) => d.message)
  const more = broken.length > 5 ? ` (and ${broken.length - 5} more)` : ''
  return new DomainError(
    'LEDGER_BROKEN',
    `The ledger's hash chain is broken, so no balance can be rebuilt from it: ${shown.join('; ')}${more}. Restore the database from a backup, or accept the ledger as it stands with POST /ledger/accept and a reason.`,
    broken.slice(0, 20)
  )
}

/** Rewrites every balance that differs from the sums given; the ledger is not touched. */
async function setBalances(
  db: Knex,
  sums: ReadonlyMap<string, number>,
  lastSeqs: ReadonlyMap<string, number>
): Promise<C.LedgerRebuild> {
  const items: { sku: string; onHand: number | null; lastSeq: number | null }[] = await db('items')
    .leftJoin('balances', 'balances.sku', 'items.sku')
    .select('items.sku', 'balances.onHand', 'balances.lastSeq')
  const now = new Date().toISOString()
  const changes: C.LedgerRebuild['changes'] = []
  for (const item of items) {
    const after = sums.get(item.sku) ?? 0
    if (after < 0) {
      throw new DomainError(
        'CONFLICT',
        `The ledger sums to ${after} for ${item.sku}, and stock cannot be negative; run a verify and investigate`
      )
    }
    const lastSeq = lastSeqs.get(item.sku) ?? null
    if (item.onHand === after && item.lastSeq === lastSeq) continue
    if (item.onHand !== after) changes.push({ sku: item.sku, before: item.onHand, after })
    await db('balances')
      .insert({ sku: item.sku, onHand: after, lastSeq, updatedAt: now })
      .onConflict('sku')
      .merge()
  }
  return { rebuilt: items.length, changes }
}

/**
 * Rewrites every balance that differs from what the ledger sums to, but only over an unbroken
 * chain: a rebuild must never make a ledger with a row removed or changed look whole. It builds
 * on the verify that has just finished (checking only the rows appended since), or verifies the
 * whole ledger itself. Lifts a halt: after it, everything checks out.
 */
export async function rebuild(db: Knex): Promise<C.LedgerRebuild> {
  refuseWhileRestoring(db, 'a rebuild')
  const state = ledgerState(db)
  const { verified } = state
  const verifier =
    verified && Date.now() - verified.at < VERIFIED_FRESH_MS
      ? verified.verifier.clone()
      : new LedgerVerifier()
  await withSql(db, async (sql) => {
    await scan(sql, verifier, verifier.head.seq, END)
    const broken = verifier.chainProblems(await readAnchor(sql))
    if (broken.length > 0) throw brokenChain(broken)
  })
  const result = await setBalances(db, verifier.sums, verifier.lastSeqs)
  await withSql(db, (sql) => setProjections(sql))
  afterCommit(db, () => {
    state.verified = { at: Date.now(), verifier }
    // Balances rebuilt do not answer a witness that holds another chain: that halt stays.
    if (!state.halt?.witnessed) state.halt = null
  })
  return result
}

/**
 * A restore of another node begun and not finished: the log here is a part of that node's. A
 * rebuild or an acceptance would lift the halt, and this node would write on it under its own id
 * (and then hold seqs the restore's rest needs): refused until the restore finishes.
 */
function refuseWhileRestoring(db: Knex, what: string): void {
  const { restoring } = ledgerState(db)
  if (restoring === null) return
  throw new DomainError(
    'LEDGER_HALTED',
    `Refused: ${unfinishedRestore(restoring)}. Until then ${what} would let this node write on a part of another node's log.`
  )
}

/**
 * Accepts the ledger as it stands, an admin's explicit decision: the anchor moves to the last
 * movement, every balance is set to what the ledger sums to, the acceptance is recorded with its
 * reason and what did not check out, and a halt is lifted. A broken chain stays broken (a verify
 * still reports it); the node carries on from here.
 */
export async function accept(
  db: Knex,
  { reason }: { reason: string }
): Promise<C.LedgerAcceptance> {
  refuseWhileRestoring(db, 'an acceptance')
  const found = await withSql(db, checkHeadAndBalances)
  const sums = new Map(found.sums.map((s) => [s.sku, s.onHand]))
  const lastSeqs = new Map(found.sums.map((s) => [s.sku, s.lastSeq]))
  const { changes } = await setBalances(db, sums, lastSeqs)
  await withSql(db, (sql) => setProjections(sql))
  const { head } = found
  const anchor = found.anchor ?? { seq: -1, hash: '' }
  await db('ledger_head').insert({ id: 1, seq: head.seq, hash: head.hash }).onConflict('id').merge()
  const acceptedAt = new Date().toISOString()
  // What did not check out now, and what the halt it lifts said (a witness's word among it).
  const halted = ledgerState(db).halt?.problems ?? []
  const problems = [...new Set([...found.problems.map((p) => p.message), ...halted])]
  await db('ledger_acceptances').insert({
    acceptedAt,
    reason,
    headSeq: head.seq,
    headHash: head.hash,
    anchorSeq: anchor.seq,
    anchorHash: anchor.hash,
    problems: JSON.stringify(problems),
  })
  await clearWitnessHalt(db, { acceptedAt, reason })
  const state = ledgerState(db)
  afterCommit(db, () => {
    state.halt = null
    state.verified = null
  })
  return { acceptedAt, reason, head, anchor, problems, changes }
}

/** Whether writes are halted and why, and the verify job in progress: memory only, at once. */
export async function status(db: Knex): Promise<C.LedgerStatus> {
  await ping(db) // /health asks this: a database that lost its tables is not healthy
  const full = diskFull()
  return full ? { ...ledgerStatus(db), diskFull: full } : ledgerStatus(db)
}
