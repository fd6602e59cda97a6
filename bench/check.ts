// After a write case: is the ledger still whole, and did every acknowledged write leave exactly
// its rows? A figure bought by skipping work (no hash chain, no balance, no idempotency record,
// a reply before the commit) fails here instead of showing up as speed.
import knexFactory from 'knex'
import { databaseFile, knexConfig } from '../db/knex-config.ts'
import { verify } from '../db/operations/ledger.ts'
import { nodeFetch } from '../tests/fixtures/tokens.ts'

export interface RowCounts {
  movements: number
  idempotencyKeys: number
}

export interface LedgerCheck extends RowCounts {
  ok: boolean
  differences: number
  /** POST /ledger/verify through the server itself, where it has that route. */
  viaApi?: boolean
}

async function withDb<T>(
  dataDir: string,
  fn: (knex: ReturnType<typeof knexFactory>) => Promise<T>
) {
  // A second connection beside the server's: WAL lets it read while the server runs.
  const knex = knexFactory(knexConfig(databaseFile(dataDir)))
  try {
    return await fn(knex)
  } finally {
    await knex.destroy()
  }
}

export function countRows(dataDir: string): Promise<RowCounts> {
  return withDb(dataDir, async (knex) => {
    const count = async (table: string) =>
      Number((await knex(table).count({ n: '*' }).first())?.n ?? 0)
    return { movements: await count('movements'), idempotencyKeys: await count('idempotency_keys') }
  })
}

/** Replays the whole ledger with almacen's own verify (hashes, chain, balances). */
export async function checkLedger(dataDir: string, apiUrl?: string): Promise<LedgerCheck> {
  const result = await withDb(dataDir, (knex) => verify(knex))
  const counts = await countRows(dataDir)
  let viaApi: boolean | undefined
  if (apiUrl) {
    const response = await nodeFetch(`${apiUrl}/ledger/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    viaApi = response.status === 200 && (await response.json()).ok === true
  }
  return {
    ok: result.ok && viaApi !== false,
    differences: result.differences.length,
    viaApi,
    ...counts,
  }
}

export interface WriteAudit {
  ok: boolean
  problems: string[]
}

/**
 * Every acknowledged write must be in the ledger with its idempotency record. Requests still in
 * flight when the load generator stopped may have committed unacknowledged, at most one per
 * connection per run; those are allowed, nothing else.
 */
export function auditWrites(
  before: RowCounts,
  after: LedgerCheck,
  acknowledged: number,
  inFlightAllowance: number
): WriteAudit {
  const problems: string[] = []
  const added = after.movements - before.movements
  const keys = after.idempotencyKeys - before.idempotencyKeys
  if (!after.ok) problems.push(`ledger verify failed (${after.differences} differences)`)
  if (added < acknowledged) problems.push(`${acknowledged} writes acknowledged, ${added} in ledger`)
  if (added > acknowledged + inFlightAllowance) {
    problems.push(`${added} movements added for ${acknowledged} acknowledged writes`)
  }
  if (keys !== added) problems.push(`${added} movements but ${keys} idempotency records`)
  return { ok: problems.length === 0, problems }
}
