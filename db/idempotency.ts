import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import type { WireError } from './contract.ts'
import { IdempotencyKey } from './models/idempotency-key.ts'

/** JSON with keys sorted, so the same request always has the same fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** What a retry must repeat exactly: the operation and its payload. */
export function fingerprint(op: string, payload: unknown): string {
  return createHash('sha256').update(op).update('\n').update(canonical(payload)).digest('hex')
}

export type Outcome = { ok: true; data: unknown } | { ok: false; error: WireError }

export interface Remembered {
  fingerprint: string
  outcome: Outcome
}

/** A stored idempotency row, decoded (SQLite returns `ok` as 0 or 1). */
export function rememberedOf(row: {
  fingerprint: string
  ok: unknown
  result: string
}): Remembered {
  const stored = JSON.parse(row.result)
  const outcome: Outcome = row.ok ? { ok: true, data: stored } : { ok: false, error: stored }
  return { fingerprint: row.fingerprint, outcome }
}

export async function recall(trx: Knex, key: string): Promise<Remembered | undefined> {
  const row = await IdempotencyKey.query(trx).findById(key)
  return row ? rememberedOf(row) : undefined
}

export async function remember(
  trx: Knex,
  key: string,
  op: string,
  print: string,
  outcome: Outcome
) {
  await trx('idempotency_keys').insert({
    key,
    op,
    fingerprint: print,
    ok: outcome.ok,
    result: JSON.stringify(outcome.ok ? outcome.data : outcome.error),
    createdAt: new Date().toISOString(),
  })
}
