// movements.record for a run of envelopes at once: the same checks and the same rows as one
// `record` per envelope (idempotency, unknown SKU, negative-stock refusal, hash chain, balance),
// but decided in memory from three reads and written with three statements. A refusal is an
// outcome, not an exception, so it never disturbs the others; an unexpected error throws, and the
// caller undoes the whole run and executes it one envelope at a time instead.
import type { Knex } from 'knex'
import type * as C from '../contract.ts'
import { refusalOf, replayOf, reply } from '../dispatch.ts'
import { itemNotFound } from '../domain-error.ts'
import { fingerprint, rememberedOf, type Outcome, type Remembered } from '../idempotency.ts'
import {
  deltaOf,
  EMPTY_LEDGER,
  insufficient,
  nextMovement,
  type LedgerHead,
} from '../operations/movements.ts'
import type { Sql } from '../sql.ts'
import { appendRows } from './append-rows.ts'

const whole = (n: unknown) => Number.isSafeInteger(n)

/** A payload in the shape the handler sends; anything else takes the one-by-one path. */
export function isPlainMovement(payload: unknown): payload is C.MovementInput {
  const p = payload as Record<string, unknown>
  if (typeof p.sku !== 'string') return false
  if (p.reference !== undefined && typeof p.reference !== 'string') return false
  if (p.note !== undefined && typeof p.note !== 'string') return false
  if (p.type === 'receipt' || p.type === 'issue') return whole(p.quantity) && Number(p.quantity) > 0
  if (p.type !== 'adjustment') return false
  if ('countedQuantity' in p === 'delta' in p) return false
  return 'delta' in p ? whole(p.delta) : whole(p.countedQuantity) && Number(p.countedQuantity) >= 0
}

interface KeyRow {
  key: string
  fingerprint: string
  ok: number
  result: string
}

const IN_JSON = 'IN (SELECT value FROM json_each(?))'

async function earlierKeys(sql: Sql, envs: C.RequestEnvelope[]) {
  const keys = envs.flatMap((e) => (e.key ? [e.key] : []))
  const rows = keys.length
    ? await sql.all<KeyRow>(
        `SELECT key, fingerprint, ok, result FROM idempotency_keys WHERE key ${IN_JSON}`,
        [JSON.stringify(keys)]
      )
    : []
  return new Map<string, Remembered>(rows.map((r) => [r.key, rememberedOf(r)]))
}

export async function recordMany(
  trx: Knex,
  sql: Sql,
  envs: C.RequestEnvelope<'movements.record'>[]
): Promise<C.ReplyEnvelope[]> {
  const known = await earlierKeys(sql, envs)
  const skus = [...new Set(envs.map((e) => e.payload.sku))]
  const stock = new Map(
    (
      await sql.all<{ sku: string; unit: string; onHand: number }>(
        `SELECT i.sku AS sku, i.unit AS unit, b.on_hand AS onHand FROM items i
         JOIN balances b ON b.sku = i.sku WHERE i.sku ${IN_JSON}`,
        [JSON.stringify(skus)]
      )
    ).map((row) => [row.sku, row])
  )
  const [last] = await sql.all<LedgerHead>(
    'SELECT seq, hash FROM movements ORDER BY seq DESC LIMIT 1'
  )
  let head = last ?? EMPTY_LEDGER

  const movements: C.Movement[] = []
  const balances = new Map<string, { sku: string; onHand: number; lastSeq: number; at: string }>()
  const keys: (KeyRow & { op: string; createdAt: string })[] = []
  const replies: C.ReplyEnvelope[] = []
  for (const env of envs) {
    const input = env.payload
    const print = env.key ? fingerprint(env.op, input) : ''
    const earlier = env.key ? known.get(env.key) : undefined
    if (earlier) {
      replies.push(replayOf(env.id, env, earlier, print))
      continue
    }
    let outcome: Outcome
    const current = stock.get(input.sku)
    const { delta, counted } = deltaOf(input, current?.onHand ?? 0)
    const balanceAfter = (current?.onHand ?? 0) + delta
    if (!current) {
      outcome = refusalOf(itemNotFound(input.sku))
    } else if (balanceAfter < 0) {
      outcome = refusalOf(await insufficient(trx, input, current.onHand, delta, current.unit))
    } else {
      const movement = nextMovement(head, input, { delta, counted }, balanceAfter)
      movements.push(movement)
      head = movement
      current.onHand = balanceAfter
      balances.set(input.sku, {
        sku: input.sku,
        onHand: balanceAfter,
        lastSeq: movement.seq,
        at: movement.createdAt,
      })
      outcome = { ok: true, data: movement }
    }
    if (env.key) {
      const result = JSON.stringify(outcome.ok ? outcome.data : outcome.error)
      const createdAt = new Date().toISOString()
      keys.push({
        key: env.key,
        op: env.op,
        fingerprint: print,
        ok: outcome.ok ? 1 : 0,
        result,
        createdAt,
      })
      known.set(env.key, { fingerprint: print, outcome })
    }
    replies.push(reply(env.id, outcome))
  }
  await appendRows(sql, movements, [...balances.values()], keys)
  return replies
}
