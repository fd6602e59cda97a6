// The one way movements enter the ledger, for a single receipt as for a run of hundreds, and for a
// batch's receipts and transfers together: load the state the run needs (one statement), decide
// each write on it in memory (post.ts), then write the rows decided, the balances they moved, their
// events and whatever else the writes keep, in one script. A refusal is an outcome and disturbs
// nothing else; a fault throws, and the run's savepoint leaves nothing behind.
import type { Knex } from 'knex'
import type { Movement } from '../contract/index.ts'
import { actorOf } from '../actor.ts'
import { DomainError } from '../domain-error.ts'
import { appendStatement, type NewEvent } from '../events/log.ts'
import { refusalOf, type Outcome } from '../outcome.ts'
import { withSql, type RunOptions, type Sql, type Statement } from '../sql.ts'
import { EMPTY_LEDGER } from './hash.ts'
import type { KindInput } from './kinds.ts'
import { advance, post, type BalanceChange, type Posting, type PostingState } from './post.ts'
import { MOVEMENT_ROW } from './row.ts'

interface StateRow {
  stock: string
  head: string | null
  warehouse: string | null
  node: string | null
}

// The items involved with their stock, the ledger's last row and the node's name and id, at once.
const STATE_SQL = `SELECT
  (SELECT json_group_array(json_array(i.sku, i.unit, b.on_hand, b.sent, b.received, i.name,
    i.description)) FROM items i
    JOIN balances b ON b.sku = i.sku WHERE i.sku IN (SELECT value FROM json_each(?))) AS stock,
  (SELECT json_array(seq, hash) FROM movements ORDER BY seq DESC LIMIT 1) AS head,
  (SELECT value FROM node_settings WHERE key = 'name') AS warehouse,
  (SELECT value FROM node_settings WHERE key = 'id') AS node`

/** What posting needs, and what a transfer's dispatch says of the node and its items. */
export interface LoadedState extends PostingState {
  /** The node's id and name ('' when unnamed) as its messages carry them. */
  node: { id: string; name: string }
  /** Each item involved, as a dispatch describes it to a warehouse that lacks it. */
  items: Map<string, { name: string; unit: string; description: string }>
}

/** What posting the movements of `skus` needs, read in one statement. */
async function loadState(sql: Sql, skus: readonly string[]): Promise<LoadedState> {
  const [row] = await sql.all<StateRow>(STATE_SQL, [JSON.stringify(skus)])
  const stock: PostingState['stock'] = new Map()
  const items: LoadedState['items'] = new Map()
  const held = JSON.parse(row.stock) as [string, string, number, number, number, string, string][]
  for (const [sku, unit, onHand, sent, received, name, description] of held) {
    stock.set(sku, { onHand, unit, sent, received })
    items.set(sku, { name, unit, description })
  }
  const head = row.head ? (JSON.parse(row.head) as [number, string]) : null
  return {
    head: head ? { seq: head[0], hash: head[1] } : EMPTY_LEDGER,
    stock,
    warehouse: row.warehouse ?? 'this warehouse',
    node: { id: row.node ?? '', name: row.warehouse ?? '' },
    items,
  }
}

const MOVE_BALANCES = `UPDATE balances SET on_hand = j.value->>'onHand',
  sent = j.value->>'sent', received = j.value->>'received', last_seq = j.value->>'lastSeq', updated_at = j.value->>'updatedAt'
  FROM json_each(?) AS j WHERE balances.sku = j.value->>'sku'`

/** The movement.recorded event of each movement. */
function movementEvents(movements: readonly Movement[]): NewEvent[] {
  return movements.map((movement) => ({
    type: 'movement.recorded' as const,
    subject: movement.sku,
    data: movement,
    createdAt: movement.createdAt,
  }))
}

/** The statements that store decided movements' rows and the balances they moved. */
function rowWrites(
  movements: readonly Movement[],
  balances: readonly BalanceChange[]
): Statement[] {
  if (movements.length === 0) return []
  return [MOVEMENT_ROW.insertStatement(movements), [MOVE_BALANCES, [JSON.stringify(balances)]]]
}

/**
 * The ledger writes of one run, decided and not yet written: every movement posted on one state,
 * and whatever else the run's writes keep. Stored with a few statements whatever the run holds —
 * one for all the rows, one for all the balances, one for all the events — after the others.
 */
export class LedgerRun {
  private readonly movements: Movement[] = []
  private readonly balances = new Map<string, BalanceChange>()
  private readonly events: NewEvent[] = []
  private readonly writes: Statement[] = []

  private constructor(private readonly loaded: LoadedState | null) {}

  /**
   * A run on the state of `skus`, read with one statement; on no SKU, a run that posts nothing
   * (a transfer's step that moves no stock here, such as a dispatch arriving) and reads nothing.
   */
  static async open(sql: Sql, skus: Iterable<string>): Promise<LedgerRun> {
    const wanted = [...new Set(skus)]
    return new LedgerRun(wanted.length === 0 ? null : await loadState(sql, wanted))
  }

  /** The state the run decides on: only a run opened on SKUs has one. */
  get state(): LoadedState {
    if (!this.loaded) throw new Error('a ledger run opened on no SKU has no state to decide on')
    return this.loaded
  }

  /**
   * Decides groups of movements on the run's state, each all or none (a transfer's lines leave
   * together), in order: each group as the ones before it left the ledger, one group's refusal
   * disturbing no other. What they post is stored with the run.
   */
  post(groups: readonly (readonly KindInput[])[]): GroupPosting[] {
    return groups.map((group): GroupPosting => {
      if (group.length === 0) return { ok: true, movements: [] }
      const { state } = this
      // What the group may move, kept to put back if any of its inputs is refused.
      const head = state.head
      const before = group.map(({ sku }) => [sku, state.stock.get(sku)] as const)
      for (const [sku, stock] of before) if (stock) state.stock.set(sku, { ...stock })
      const posted: Extract<Posting, { ok: true }>[] = []
      const refusals: DomainError[] = []
      for (const input of group) {
        // A movements.record payload names nobody: who sent it is beside it (db/actor.ts).
        const actor = input.actor === undefined ? actorOf(input) : input.actor
        const posting = post(state, { ...input, actor }, new Date().toISOString())
        if (!posting.ok) refusals.push(posting.refusal)
        else {
          advance(state, posting)
          posted.push(posting)
        }
      }
      if (refusals.length > 0) {
        state.head = head
        for (const [sku, stock] of before) if (stock) state.stock.set(sku, stock)
        return { ok: false, refusals }
      }
      const movements = posted.map((p) => p.movement)
      this.movements.push(...movements)
      for (const { balance } of posted) this.balances.set(balance.sku, balance)
      this.events.push(...movementEvents(movements))
      return { ok: true, movements }
    })
  }

  /** Statements stored after the rows and balances, in order. */
  write(...statements: Statement[]): void {
    this.writes.push(...statements)
  }

  /** Events appended after those of the movements posted so far. */
  event(...events: NewEvent[]): void {
    this.events.push(...events)
  }

  /** Everything decided, as statements for one script. */
  async statements(db: Knex, sql: Sql): Promise<Statement[]> {
    const append = await appendStatement(db, sql, this.events)
    return [
      ...rowWrites(this.movements, [...this.balances.values()]),
      ...this.writes,
      ...(append ? [append] : []),
    ]
  }
}

/**
 * A write that posts to the ledger, in the form that lets a batch decide it together with the
 * other ledger writes of the batch (a transfer among receipts): which SKUs its decision reads, and
 * the decision itself on a run shared with them, nothing written yet.
 */
export interface LedgerWrite<P> {
  /** The SKUs whose stock and items deciding `payload` reads. */
  skus: (payload: P) => readonly string[]
  /**
   * Decides `payloads` in order on the run's state, moving it along as the ledger would, and
   * leaves what they store with the run: an outcome for each (a refusal being one).
   */
  plan: (payloads: P[], run: LedgerRun) => Outcome[]
}

/** Payloads of one operation, with how it posts them. */
export interface LedgerWritePart {
  posting: LedgerWrite<never>
  payloads: unknown[]
}

/**
 * Decides the parts in order, each write on the ledger as the ones before it left it, the state
 * read once for all of them, and stores everything decided in one script, in a savepoint: an
 * outcome per payload, in order. A fault throws, having written nothing. This is the run form of
 * every operation that posts (`postingOperation`), alone or with others of its batch.
 */
export async function postTogether(
  db: Knex,
  parts: readonly LedgerWritePart[],
  { enclosed = false }: RunOptions = {}
): Promise<Outcome[]> {
  const skus = parts.flatMap(({ posting, payloads }) =>
    payloads.flatMap((payload) => posting.skus(payload as never))
  )
  return withSql(db, (sql) =>
    inLedgerRun(
      db,
      sql,
      skus,
      (run) => parts.flatMap(({ posting, payloads }) => posting.plan(payloads as never[], run)),
      { enclosed }
    )
  )
}

/**
 * Opens a run on the state of `skus`, has `decide` decide on it, then stores everything decided
 * in one script, in a savepoint: what `decide` answered. A fault throws, having written nothing.
 * A caller already inside a savepoint that a throw undoes (`enclosed`) spares this one its two
 * statements; a fault then leaves what the script wrote until the caller's savepoint undoes it.
 */
export async function inLedgerRun<T>(
  db: Knex,
  sql: Sql,
  skus: Iterable<string>,
  decide: (run: LedgerRun) => T,
  { enclosed = false }: RunOptions = {}
): Promise<T> {
  const run = await LedgerRun.open(sql, skus)
  const decided = decide(run)
  await sql.script(await run.statements(db, sql), { savepoint: !enclosed })
  return decided
}

/**
 * Movements, each on the ledger as the ones before it left it (each a group of one for
 * LedgerRun.post): the movement, or its refusal.
 */
export const MOVEMENTS: LedgerWrite<KindInput> = {
  skus: (input) => [input.sku],
  plan: (inputs, run) =>
    run
      .post(inputs.map((input) => [input]))
      .map((r) => (r.ok ? { ok: true, data: r.movements[0] } : refusalOf(r.refusals[0]))),
}

/** Records a run of movements, in order (MOVEMENTS), in one savepoint. */
export async function recordRun(db: Knex, inputs: readonly KindInput[]): Promise<Outcome[]> {
  return postTogether(db, [{ posting: MOVEMENTS as LedgerWrite<never>, payloads: [...inputs] }])
}

/** Each group posted whole or refused whole: its movements, or every refusal of its inputs. */
export type GroupPosting =
  { ok: true; movements: Movement[] } | { ok: false; refusals: DomainError[] }
