import type { Knex } from 'knex'
import {
  PROTOCOL_VERSION,
  WRITE_OPS,
  type OpName,
  type ReplyEnvelope,
  type RequestEnvelope,
} from './contract.ts'
import { admit, execute, type DispatchOptions } from './dispatch.ts'
import { isPlainMovement, recordMany } from './bulk/record-many.ts'
import { isPlainStockGet, stockMany } from './bulk/stock-many.ts'
import { operations } from './operations/index.ts'
import { inSavepoint, withSql, type Sql } from './sql.ts'

type Slot = [index: number, env: RequestEnvelope]

/**
 * Executes a batch of envelopes. When any of them writes, all of them run in one transaction that
 * commits once (group commit: one fsync for the batch), and no reply is released before that
 * commit — so a 2xx always means on disk, and no read sees an uncommitted row.
 *
 * Writes run in arrival order. Reads run after the writes of their batch: every envelope of a
 * batch was in flight at once, so any order among them is one the callers could have seen, and
 * this one lets a run of receipts, and all the stock reads, each go to SQLite as one statement.
 */
export async function runBatch(
  knex: Knex,
  envelopes: unknown[],
  options: DispatchOptions
): Promise<ReplyEnvelope[]> {
  const replies: ReplyEnvelope[] = new Array(envelopes.length)
  const writes: Slot[] = []
  const reads: Slot[] = []
  envelopes.forEach((raw, index) => {
    const admission = admit(raw, options, knex)
    if (!admission.ok) replies[index] = admission.reply
    else (WRITE_OPS.has(admission.env.op) ? writes : reads).push([index, admission.env])
  })
  const runAll = async (db: Knex) => {
    await runWrites(db, writes, replies, options)
    await runReads(db, reads, replies, options)
    return replies
  }
  if (writes.length === 0) return runAll(knex)
  try {
    return await knex.transaction(runAll)
  } catch (err) {
    options.log.error(
      { err, size: envelopes.length },
      'batch transaction failed; nothing in it was applied'
    )
    for (const [index, env] of [...writes, ...reads]) {
      replies[index] = {
        v: PROTOCOL_VERSION,
        id: env.id,
        ok: false,
        error: {
          code: 'INTERNAL',
          message: 'The transaction could not be committed; nothing was applied',
        },
      }
    }
    return replies
  }
}

// The operations with a fast path, and the payloads it takes (anything else runs one by one).
const PLAIN: Partial<Record<OpName, (payload: unknown) => boolean>> = {
  'movements.record': isPlainMovement,
  'stock.get': isPlainStockGet,
}

/** The fast paths apply only to the real operations (tests may swap in others). */
function bulkable(env: RequestEnvelope, options: DispatchOptions): boolean {
  const plain = PLAIN[env.op]
  const table = options.table ?? operations
  return plain !== undefined && table[env.op] === operations[env.op] && plain(env.payload)
}

async function runWrites(
  db: Knex,
  writes: Slot[],
  replies: ReplyEnvelope[],
  options: DispatchOptions
) {
  for (let i = 0; i < writes.length;) {
    let end = i
    while (end < writes.length && bulkable(writes[end][1], options)) end++
    if (end === i) {
      const [index, env] = writes[i++]
      replies[index] = await execute(db, env, options)
      continue
    }
    // One savepoint around the run: if any statement fails, none of the run is left behind.
    await runInBulk(db, writes.slice(i, end), replies, options, 'write', (sql, envs) =>
      inSavepoint(sql, () => recordMany(db, sql, envs as RequestEnvelope<'movements.record'>[]))
    )
    i = end
  }
}

async function runReads(
  db: Knex,
  reads: Slot[],
  replies: ReplyEnvelope[],
  options: DispatchOptions
) {
  const stock = reads.filter(([, env]) => bulkable(env, options))
  const others = reads.filter(([, env]) => !bulkable(env, options))
  if (stock.length > 0) {
    await runInBulk(db, stock, replies, options, 'read', (sql, envs) =>
      stockMany(sql, envs as RequestEnvelope<'stock.get'>[])
    )
  }
  for (const [index, env] of others) replies[index] = await execute(db, env, options)
}

/** Runs envelopes through a fast path; if it throws, runs them one by one instead. */
async function runInBulk(
  db: Knex,
  slots: Slot[],
  replies: ReplyEnvelope[],
  options: DispatchOptions,
  kind: 'read' | 'write',
  bulk: (sql: Sql, envs: RequestEnvelope[]) => Promise<ReplyEnvelope[]>
) {
  const envs = slots.map(([, env]) => env)
  let out: ReplyEnvelope[]
  try {
    out = await withSql(db, (sql) => bulk(sql, envs))
  } catch (err) {
    options.log.warn(
      { err, size: envs.length },
      `bulk ${kind} failed; running its envelopes one by one`
    )
    out = []
    for (const env of envs) out.push(await execute(db, env, options))
  }
  slots.forEach(([index], k) => (replies[index] = out[k]))
}
