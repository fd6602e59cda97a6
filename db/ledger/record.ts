// The one way movements enter the ledger, for a single receipt as for a run of hundreds: load the
// state the run needs (one statement), post each movement on it in memory (post.ts), then write
// the rows decided, the balances they moved and their events (one statement each). A refusal is an
// outcome and disturbs nothing else; a fault throws, and the run's savepoint leaves nothing behind.
import type { Knex } from 'knex'
import type { Movement } from '../contract/index.ts'
import { actorOf } from '../actor.ts'
import { DomainError } from '../domain-error.ts'
import { appendStatement } from '../events/log.ts'
import { refusalOf, type Outcome } from '../outcome.ts'
import { withSql, type Sql, type Statement } from '../sql.ts'
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
export async function loadState(sql: Sql, skus: readonly string[]): Promise<LoadedState> {
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

/**
 * The writes that store decided movements: the rows, the balances they moved, and one event each
 * — for a script (db/sql.ts), with whatever else the caller writes.
 */
export async function movementWrites(
  db: Knex,
  sql: Sql,
  movements: readonly Movement[],
  balances: readonly BalanceChange[]
): Promise<Statement[]> {
  if (movements.length === 0) return []
  const events = movements.map((movement) => ({
    type: 'movement.recorded' as const,
    subject: movement.sku,
    data: movement,
    createdAt: movement.createdAt,
  }))
  return [
    MOVEMENT_ROW.insertStatement(movements),
    [MOVE_BALANCES, [JSON.stringify(balances)]],
    (await appendStatement(db, sql, events)) as Statement,
  ]
}

/**
 * Records a run of movements, in order, each on the ledger as the ones before it left it (each a
 * group of one for decideGroups): an outcome per input (the movement, or its refusal). The writes
 * go in one script, in a savepoint: a fault throws, having written nothing.
 */
export async function recordRun(db: Knex, inputs: readonly KindInput[]): Promise<Outcome[]> {
  return withSql(db, async (sql) => {
    const { results, movements, balances } = await decideGroups(
      sql,
      inputs.map((input) => [input])
    )
    await sql.script(await movementWrites(db, sql, movements, balances), { savepoint: true })
    return results.map((r) =>
      r.ok ? { ok: true, data: r.movements[0] } : refusalOf(r.refusals[0])
    )
  })
}

/** Each group posted whole or refused whole: its movements, or every refusal of its inputs. */
export type GroupPosting =
  { ok: true; movements: Movement[] } | { ok: false; refusals: DomainError[] }

/** What `decideGroups` decided: each group's posting, and what storing them all writes. */
export interface GroupsDecided {
  results: GroupPosting[]
  movements: Movement[]
  balances: BalanceChange[]
}

/**
 * Decides groups of movements, each all or none (a transfer's lines leave together), in order:
 * each group on the ledger as the groups before it left it, one group's refusal disturbing no
 * other; the state read with one statement for all of them. Nothing is written: the caller
 * writes `movementWrites` of what was decided, with its own writes, in one script.
 */
export async function decideGroups(
  sql: Sql,
  groups: readonly (readonly KindInput[])[],
  /** Loaded by the caller already, for every SKU of the groups (it is moved along). */
  loaded?: PostingState
): Promise<GroupsDecided> {
  const state =
    loaded ?? (await loadState(sql, [...new Set(groups.flat().map((input) => input.sku))]))
  const results: GroupPosting[] = []
  const movements: Movement[] = []
  const balances = new Map<string, BalanceChange>()
  for (const group of groups) {
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
      results.push({ ok: false, refusals })
      continue
    }
    for (const { movement, balance } of posted) {
      movements.push(movement)
      balances.set(balance.sku, balance)
    }
    results.push({ ok: true, movements: posted.map((p) => p.movement) })
  }
  return { results, movements, balances: [...balances.values()] }
}
