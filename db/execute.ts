// Running admitted envelopes (db/dispatch.ts admits them): one alone, or a run of an operation
// that has a run form, each write honouring its idempotency key through the one key store.
import type { Knex } from 'knex'
import type { Logger } from 'pino'
import { WRITE_OPS, type ReplyEnvelope, type RequestEnvelope } from './contract/index.ts'
import { noteActors } from './actor.ts'
import { diskFullError, isDiskFull, logDiskFull } from './disk-full.ts'
import { DomainError } from './domain-error.ts'
import {
  fingerprint,
  loadKeys,
  storable,
  storeKeys,
  type KeyRecord,
  type Remembered,
} from './idempotency.ts'
import { postTogether, type LedgerWrite, type LedgerWritePart } from './ledger/record.ts'
import { operations as defaultTable, type OperationTable } from './operations/index.ts'
import { failure, refusalOf, reply, type Outcome } from './outcome.ts'
import {
  asFirstWrite,
  inSavepointOf,
  stillInTransaction,
  TransactionLost,
  withSql,
  type RunOptions,
  type Untouched,
} from './sql.ts'

/** How envelopes are admitted and run: the log, and (in tests) another table or clock. */
export interface DispatchOptions {
  log: Logger
  table?: OperationTable
  now?: () => number
  /**
   * The batch's transaction while nothing has written in it: the first run of writes takes it,
   * and when that run is one envelope it runs bare (asFirstWrite), not in a savepoint.
   */
  fresh?: Untouched
}

/** The reply to an earlier use of an idempotency key: a replay, or a refusal if the request differs. */
export function replayOf(id: string, env: RequestEnvelope, earlier: Remembered, print: string) {
  if (earlier.fingerprint !== print) {
    return reply(
      id,
      failure(
        'IDEMPOTENCY_KEY_REUSED',
        `Idempotency-Key ${env.key} was already used for a different request`,
        [
          {
            path: 'Idempotency-Key',
            message: 'was used before with another body or route, or by another user',
          },
        ]
      )
    )
  }
  return reply(id, earlier.outcome, true)
}

/**
 * Executes admitted envelopes, in order (see `admit`): one alone, or a run — of an operation with
 * a run form (db/operations/run.ts), or of operations that post to the ledger, one after another
 * (`postTogether`) — which it decides at once. A write replays what its idempotency key stored,
 * and stores its outcome under the key; the keys of a run are read and written with one statement
 * each, and no key may appear twice in a run.
 */
export async function execute(
  db: Knex,
  envs: RequestEnvelope[],
  options: DispatchOptions
): Promise<ReplyEnvelope[]> {
  if (!WRITE_OPS.has(envs[0].op)) {
    return (await perform(db, envs, options)).map((outcome, i) => reply(envs[i].id, outcome))
  }
  const bare = options.fresh?.untouched === true
  if (options.fresh) options.fresh.untouched = false
  const keys = envs.flatMap((env) => (env.key ? [env.key] : []))
  const earlier = keys.length ? await withSql(db, (sql) => loadKeys(sql, keys)) : new Map()
  const replies: ReplyEnvelope[] = new Array(envs.length)
  const fresh: { index: number; print: string }[] = []
  envs.forEach((env, index) => {
    const print = env.key ? fingerprint(env.op, env.payload, env.actor) : ''
    const before = env.key ? earlier.get(env.key) : undefined
    if (before) replies[index] = replayOf(env.id, env, before, print)
    else fresh.push({ index, print })
  })
  const outcomes = await perform(
    db,
    fresh.map(({ index }) => envs[index]),
    options,
    bare
  )
  const records: KeyRecord[] = []
  fresh.forEach(({ index, print }, k) => {
    const { id, key, op } = envs[index]
    const outcome = outcomes[k]
    replies[index] = reply(id, outcome)
    if (key && storable(outcome)) records.push({ key, op, fingerprint: print, outcome })
  })
  // Outside the operations' savepoints: a key that cannot be stored fails the whole batch.
  if (records.length > 0) await withSql(db, (sql) => storeKeys(sql, records))
  return replies
}

/**
 * Runs the operation for each envelope: a run at once if it can, else one by one. `bare`: the
 * batch's transaction has written nothing yet, so one envelope alone needs no savepoint.
 */
async function perform(
  db: Knex,
  envs: RequestEnvelope[],
  { log, table = defaultTable }: DispatchOptions,
  bare = false
): Promise<Outcome[]> {
  if (envs.length === 0) return []
  noteActors(envs)
  const { op } = envs[0]
  const operation = table[op] as Operation
  const together = envs.some((env) => env.op !== op)
  if (envs.length > 1 && (operation.run || together)) {
    try {
      if (!together) {
        return await (operation.run as NonNullable<Operation['run']>)(
          db,
          envs.map((env) => env.payload)
        )
      }
      return await postTogether(db, postingParts(envs, table))
    } catch (err) {
      if (err instanceof TransactionLost) throw err // the batch fails whole (db/batch.ts)
      // Ended by SQLite before any savepoint of the run (in a read of its state): one by one, each
      // write would commit on its own while the batch answered that nothing was applied.
      if (!(await stillInTransaction(db))) throw new TransactionLost(err)
      // The run left nothing behind: one by one, only the culprit fails.
      log.warn({ err, op, size: envs.length }, 'a run failed; running its envelopes one by one')
    }
  }
  const outcomes: Outcome[] = []
  for (const env of envs) {
    outcomes.push(
      await performOne(db, env, table[env.op] as Operation, log, bare && envs.length === 1)
    )
  }
  return outcomes
}

/** A run of ledger writes of several operations as postTogether takes it: each op's in turn. */
function postingParts(envs: RequestEnvelope[], table: OperationTable): LedgerWritePart[] {
  const parts: (LedgerWritePart & { op: string })[] = []
  for (const env of envs) {
    const last = parts.at(-1)
    if (last?.op === env.op) last.payloads.push(env.payload)
    else {
      const { posting } = table[env.op] as Operation
      if (!posting) throw new Error(`${env.op} does not post to the ledger: it runs alone`)
      parts.push({ op: env.op, posting, payloads: [env.payload] })
    }
  }
  return parts
}

type Operation = ((trx: Knex, payload: unknown) => Promise<unknown>) & {
  run?: (db: Knex, payloads: unknown[], options?: RunOptions) => Promise<Outcome[]>
  posting?: LedgerWrite<never>
}

async function performOne(
  db: Knex,
  env: RequestEnvelope,
  operation: Operation,
  log: Logger,
  bare = false
): Promise<Outcome> {
  try {
    // A run form holds a savepoint of its own; any other write runs inside one, so a refused or
    // failed write leaves nothing behind while the other writes of its batch commit — or, first
    // in its transaction, bare: a refusal or failure then rolls the transaction back.
    if (operation.run) {
      const run = operation.run
      if (!bare) return (await run(db, [env.payload]))[0]
      return (await asFirstWrite(db, (trx) => run(trx, [env.payload], { enclosed: true })))[0]
    }
    const data = WRITE_OPS.has(env.op)
      ? await (bare ? asFirstWrite : inSavepointOf)(db, (trx) => operation(trx, env.payload))
      : await operation(db, env.payload)
    return { ok: true, data }
  } catch (err) {
    if (err instanceof TransactionLost) throw err // the batch fails whole (db/batch.ts)
    if (err instanceof DomainError) return refusalOf(err)
    if (isDiskFull(err)) {
      logDiskFull(log, { err, op: env.op, id: env.id }, 'operation failed')
      return { ok: false, error: diskFullError() }
    }
    log.error({ err, op: env.op, id: env.id }, 'operation failed')
    return failure('INTERNAL', 'The database worker failed to execute the operation')
  }
}
