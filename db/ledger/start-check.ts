// The check a worker makes before it serves: the ledger's head (the last row re-hashed and linked
// to the one before, the anchor agreeing) and every balance against the ledger. Cheap enough for
// every start: two rows, one GROUP BY and one join, never the whole chain (that is a verify).
// On a mismatch the worker refuses writes until an admin acts; reads go on.
import type { Knex } from 'knex'
import type { Logger } from 'pino'
import type * as C from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import { withSql, type Sql } from '../sql.ts'
import { setSetting, setting as settingText } from '../node-settings.ts'
import { EMPTY_LEDGER, type LedgerHead } from './hash.ts'
import { checkProjections } from './projections.ts'
import { headRows, readAnchor, readBalances } from './rows.ts'
import { checkBalances, checkHead, checkRow, LINK_CHECKS } from './verify.ts'
import { pendingRestore } from './restore.ts'
import {
  ACCEPTED_WITNESSES,
  afterCommit,
  ledgerState,
  ledgerStatus,
  unfinishedRestore,
  WITNESS_HALT,
} from './state.ts'

type Halt = C.LedgerHalt

/** The writes a halted ledger refuses: anything that adds to the ledger or changes an item. */
export const HALTED_OPS: ReadonlySet<C.OpName> = new Set<C.OpName>([
  'items.create',
  'items.update',
  // Items made or changed many at once, or taken from a peer's catalogue (which creates one).
  'items.import',
  'items.adopt',
  'movements.record',
  // Transfers post ledger rows (the inbox too: a final receipt's write-offs at A, B's receipts).
  'transfers.create',
  'transfers.receive',
  'transfers.return',
  'transfers.writeOff',
  // A rejection after receipts on trust books them off (transfer_in rows of the opposite sign).
  'transfers.reject',
  'transfers.inbox',
  'transfers.inboxV2',
])

export const ADMIN_ACTION =
  'An admin can run POST /ledger/verify to see every difference, then POST /ledger/rebuild if only balances drifted, or POST /ledger/accept with a reason to accept the ledger as it stands.'

export interface SumRow {
  sku: string
  onHand: number
  lastSeq: number
}

/** Each SKU's sum and last movement, read from the (sku, seq, delta) index alone. */
export function readSums(sql: Sql): Promise<SumRow[]> {
  return sql.all<SumRow>(
    'SELECT sku, sum(delta) AS onHand, max(seq) AS lastSeq FROM movements GROUP BY sku'
  )
}

export interface HeadAndBalances {
  problems: C.LedgerDifference[]
  /** The last movement, and what the anchor records. */
  head: LedgerHead
  anchor: LedgerHead | undefined
  sums: SumRow[]
}

/** What does not check out at the head and in the balances; what it read comes back for reuse. */
export async function checkHeadAndBalances(sql: Sql): Promise<HeadAndBalances> {
  const problems: C.LedgerDifference[] = []
  const [last, before] = await headRows(sql)
  const [accepted] = await sql.all<{ seq: number; hash: string }>(
    'SELECT head_seq AS seq, head_hash AS hash FROM ledger_acceptances ORDER BY id DESC LIMIT 1'
  )
  // A head an admin accepted as it stood is not held against the node again.
  if (last && !(accepted?.seq === last.seq && accepted.hash === last.hash)) {
    problems.push(...checkRow(last, { head: before ?? EMPTY_LEDGER, sum: 0 }, LINK_CHECKS))
  }
  const head = last ? { seq: last.seq, hash: last.hash } : EMPTY_LEDGER
  const anchor = await readAnchor(sql)
  const anchored = checkHead(head, anchor)
  if (anchored) problems.push(anchored)

  const sums = await readSums(sql)
  const totals = new Map(sums.map((s) => [s.sku, s.onHand]))
  const lastSeqs = new Map(sums.map((s) => [s.sku, s.lastSeq]))
  const drifted = checkBalances(totals, lastSeqs, await readBalances(sql))
  problems.push(...drifted, ...(await checkProjections(sql)))
  // A sum can be matched by editing a delta and the balance together; the running balance that
  // the SKU's last movement recorded (under its hash) still tells.
  const recorded = await sql.all<{ sku: string; onHand: number; seq: number; after: number }>(
    `SELECT b.sku AS sku, b.on_hand AS onHand, m.seq AS seq, m.balance_after AS after
     FROM balances b JOIN movements m ON m.seq = b.last_seq
     WHERE m.sku = b.sku AND m.balance_after <> b.on_hand`
  )
  const shown = new Set(drifted.map((d) => `${d.sku} ${d.actual}`))
  for (const r of recorded) {
    if (shown.has(`${r.sku} ${r.onHand}`)) continue // already said: the sum disagrees too
    problems.push({
      kind: 'balance',
      sku: r.sku,
      seq: r.seq,
      expected: r.after,
      actual: r.onHand,
      message: `${r.sku} shows ${r.onHand} on hand, its last movement ${r.seq} recorded ${r.after}`,
    })
  }
  return { problems, head, anchor, sums }
}

/** A witness's disagreement as kept: who, what it held, where it parted from this ledger. */
type Disagreement = Omit<C.Payload<'ledger.witnessDiffers'>, 'problem'>
type Accepted = Disagreement & { acceptedAt: string; reason: string }
interface StoredHalt {
  problems: string[]
  /** The witnesses that halted it (a halt from before they were kept has none). */
  witnesses?: Disagreement[]
}

async function setting<T>(sql: Sql, key: string, none: T): Promise<T> {
  const [row] = await sql.all<{ value: string }>('SELECT value FROM node_settings WHERE key = ?', [
    key,
  ])
  return row ? (JSON.parse(row.value) as T) : none
}

/** The witness halt kept on disk, if any. */
const storedWitnessHalt = (sql: Sql) => setting<StoredHalt>(sql, WITNESS_HALT, { problems: [] })

/**
 * Whether two disagreements are one: the same witness, holding the same row, parting from this
 * ledger at the same row. One whose parting row is unknown (the witness did not answer for its
 * hashes) is never the same as any: it could part anywhere.
 */
const sameDisagreement = (a: Disagreement, b: Disagreement) =>
  a.differsFrom !== null &&
  a.peer === b.peer &&
  a.holds.seq === b.holds.seq &&
  a.holds.hash === b.holds.hash &&
  a.differsFrom === b.differsFrom

/**
 * Lifts the witness halt kept on disk (an acceptance), in the caller's transaction: the
 * disagreements that made it are kept as accepted, so the same ones met at a later start halt
 * nothing (a node restored with rows lost is accepted once, not at every restart).
 */
export async function clearWitnessHalt(
  db: Knex,
  acceptance?: { acceptedAt: string; reason: string }
): Promise<void> {
  if (acceptance) {
    await withSql(db, async (sql) => {
      const { witnesses = [] } = await storedWitnessHalt(sql)
      if (witnesses.length === 0) return
      const kept = await setting<Accepted[]>(sql, ACCEPTED_WITNESSES, [])
      const added = witnesses
        .filter((w) => !kept.some((k) => sameDisagreement(k, w)))
        .map((w) => ({ ...w, ...acceptance }))
      await setSetting(sql, ACCEPTED_WITNESSES, JSON.stringify([...kept, ...added]))
    })
  }
  await db('node_settings').where({ key: WITNESS_HALT }).delete()
}

/** A halt with a witness's problems joined to the one in force (if any). */
function withWitness(held: Halt | null | undefined, problems: string[]): Halt {
  return {
    since: held?.since ?? new Date().toISOString(),
    problems: [...(held?.problems ?? []), ...problems.filter((p) => !held?.problems.includes(p))],
    action: held && !held.witnessed ? `${held.action} ${WITNESS_ACTION}` : WITNESS_ACTION,
    witnessed: true,
  }
}

/** Runs the check at start; on a mismatch, halts writes and says so at error level. */
export async function checkLedgerAtStart(knex: Knex, log: Logger): Promise<void> {
  const started = performance.now()
  let problems: string[]
  let witnessed: string[] = []
  let head = 0
  try {
    problems = await withSql(knex, async (sql) => {
      const checked = await checkHeadAndBalances(sql)
      head = checked.head.seq
      const found = checked.problems.map((p) => p.message)
      const restoring = await pendingRestore(sql)
      // Its log is a prefix of the restored node's, not a ledger of its own to write on (nor to
      // serve as its own, unless it is: a backup of this node catching up).
      const own = await settingText(sql, 'id')
      ledgerState(knex).restoring = restoring && restoring !== own ? restoring : null
      if (restoring) found.unshift(unfinishedRestore(restoring))
      witnessed = (await storedWitnessHalt(sql)).problems
      return found
    })
  } catch (err) {
    // A file too damaged to be read through: still serve what can be read, write nothing.
    problems = [`the ledger could not be checked (${(err as Error).message})`]
  }
  const ms = Math.round(performance.now() - started)
  if (problems.length === 0 && witnessed.length === 0) {
    // Whose ledger this is shows in the count: a data directory of an earlier run, say.
    const held = head === 0 ? 'empty' : `${head} movement${head === 1 ? '' : 's'}`
    log.info({ ms, head }, `ledger head and balances check out (${held})`)
    return
  }
  const own = problems.length
    ? { since: new Date().toISOString(), problems, action: ADMIN_ACTION }
    : null
  const halt = witnessed.length ? withWitness(own, witnessed) : (own as Halt)
  ledgerState(knex).halt = halt
  log.error(
    { problems: halt.problems, ms },
    `the ledger did not check out at start: writes are refused until an admin acts. ${ADMIN_ACTION}`
  )
}

/** The refusal of a write while the ledger is halted, or null. */
export function haltRefusal(db: Knex, op: string): DomainError | null {
  const { halt, restoring } = ledgerState(db)
  if (!halt || !HALTED_OPS.has(op as C.OpName)) return null
  const shown = halt.problems.slice(0, 3).join('; ')
  const more = halt.problems.length > 3 ? ` (and ${halt.problems.length - 3} more)` : ''
  // A halt a witness, a restore or another process under this id set: said as it is, not as the
  // start check's.
  const why =
    halt.witnessed || restoring
      ? `${shown}${more}`
      : `the ledger did not check out when the node started (${shown}${more})`
  return new DomainError('LEDGER_HALTED', `Writes are refused: ${why}. ${halt.action}`, halt)
}

export const WITNESS_ACTION =
  "A peer's replica of this ledger disagrees with it: find out which is right (GET /ledger/restore, POST /ledger/verify). If this node's disk was changed, restore it from its peers (--restore on an empty data directory); if the ledger as it stands is right, an admin accepts it with POST /ledger/accept and a reason."

/**
 * Halts writes because a witness disagrees (the runtime asks the peers once they are alive, after
 * the worker's own check): the problems join a halt in force. Only an acceptance lifts it.
 */
export async function witnessed(
  db: Knex,
  { problems }: { problems: string[] }
): Promise<C.LedgerStatus> {
  const state = ledgerState(db)
  state.halt = withWitness(state.halt, problems)
  return ledgerStatus(db)
}

/** Like `witnessed`, and kept on disk until an acceptance, so a restart does not lift it. */
export async function witnessHalt(
  db: Knex,
  { problems }: { problems: string[] },
  witness?: Disagreement
): Promise<C.LedgerStatus> {
  const kept = await withSql(db, storedWitnessHalt)
  const all = [...kept.problems, ...problems.filter((p) => !kept.problems.includes(p))]
  const witnesses = [...(kept.witnesses ?? [])]
  if (witness && !witnesses.some((w) => sameDisagreement(w, witness))) witnesses.push(witness)
  await db('node_settings')
    .insert({ key: WITNESS_HALT, value: JSON.stringify({ problems: all, witnesses }) })
    .onConflict('key')
    .merge()
  const state = ledgerState(db)
  const halt = withWitness(state.halt, problems)
  afterCommit(db, () => (state.halt = halt))
  return { ...ledgerStatus(db), writes: 'refused', halt }
}

/** Each disagreement given, with its acceptance if an admin accepted that very one (or null). */
export async function acceptedWitnesses(
  db: Knex,
  { disagreements }: C.Payload<'ledger.acceptedWitnesses'>
): Promise<C.Result<'ledger.acceptedWitnesses'>> {
  const kept = await withSql(db, (sql) => setting<Accepted[]>(sql, ACCEPTED_WITNESSES, []))
  return {
    accepted: disagreements.map((d) => {
      const found = kept.find((a) => sameDisagreement(a, d))
      return found ? { acceptedAt: found.acceptedAt, reason: found.reason } : null
    }),
  }
}

/**
 * A witness disagrees at the start check (ledger.witnessDiffers): nothing halts when an admin
 * accepted this very disagreement before; else the witness halt, with the witness kept.
 */
export async function witnessDiffers(
  db: Knex,
  { problem, ...witness }: C.Payload<'ledger.witnessDiffers'>
): Promise<C.Result<'ledger.witnessDiffers'>> {
  // Where they part unknown this time (the witness did not answer for its hashes) is not the
  // disagreement accepted: the rows before the accepted one may have been rewritten since, and
  // the witness is the only check on that. It halts, as any other would.
  const accepted = (
    await withSql(db, (sql) => setting<Accepted[]>(sql, ACCEPTED_WITNESSES, []))
  ).find((a) => sameDisagreement(a, witness))
  if (accepted) {
    const { acceptedAt, reason } = accepted
    return { accepted: { acceptedAt, reason }, status: ledgerStatus(db) }
  }
  return { accepted: null, status: await witnessHalt(db, { problems: [problem] }, witness) }
}
