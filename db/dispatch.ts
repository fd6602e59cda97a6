import type { Knex } from 'knex'
import type { Logger } from 'pino'
import {
  PROTOCOL_VERSION,
  WRITE_OPS,
  type ErrorCode,
  type OpName,
  type ReplyEnvelope,
  type RequestEnvelope,
} from './contract.ts'
import { DomainError } from './domain-error.ts'
import { fingerprint, recall, remember, type Outcome, type Remembered } from './idempotency.ts'
import { haltRefusal } from './ledger/start-check.ts'
import { operations as defaultTable, type OperationTable } from './operations/index.ts'

export interface DispatchOptions {
  log: Logger
  table?: OperationTable
  now?: () => number
}

export function reply(id: string, outcome: Outcome, replayed = false): ReplyEnvelope {
  const base = { v: PROTOCOL_VERSION, id, ...(replayed ? { replayed } : {}) }
  return outcome.ok
    ? { ...base, ok: true, data: outcome.data }
    : { ...base, ok: false, error: outcome.error }
}

export function failure(code: ErrorCode, message: string, details?: unknown): Outcome {
  return {
    ok: false,
    error: details === undefined ? { code, message } : { code, message, details },
  }
}

/** The outcome of a refusal an operation decided. */
export function refusalOf(err: DomainError): Outcome {
  return failure(err.code, err.message, err.details)
}

/** True when the envelope names a write operation (which needs the write transaction). */
export function isWrite(envelope: unknown): boolean {
  return WRITE_OPS.has((envelope as RequestEnvelope | null)?.op as OpName)
}

async function run(
  db: Knex,
  env: RequestEnvelope,
  table: OperationTable,
  log: Logger
): Promise<Outcome> {
  const operation = table[env.op] as (trx: Knex, payload: unknown) => Promise<unknown>
  try {
    // A write runs inside a savepoint, so a refused or failed write leaves nothing behind while
    // the other writes of its batch commit.
    const data = WRITE_OPS.has(env.op)
      ? await db.transaction((savepoint) => operation(savepoint, env.payload))
      : await operation(db, env.payload)
    return { ok: true, data }
  } catch (err) {
    if (err instanceof DomainError) return refusalOf(err)
    log.error({ err, op: env.op, id: env.id }, 'operation failed')
    return failure('INTERNAL', 'The database worker failed to execute the operation')
  }
}

export type Admission = { ok: true; env: RequestEnvelope } | { ok: false; reply: ReplyEnvelope }

/**
 * The checks every envelope passes before it may touch the database. A malformed envelope must
 * fail alone here, not throw out of its batch's transaction and take every other write with it.
 * Given the database, a write that a halted ledger refuses is refused here too (and, like every
 * refusal here, not stored under its idempotency key: a retry after the halt is lifted applies).
 */
export function admit(raw: unknown, options: Omit<DispatchOptions, 'log'>, db?: Knex): Admission {
  const table = options.table ?? defaultTable
  const env = raw as RequestEnvelope
  const id = typeof env?.id === 'string' ? env.id : ''
  const refuse = (code: ErrorCode, message: string): Admission => ({
    ok: false,
    reply: reply(id, failure(code, message)),
  })
  if (!env || typeof env !== 'object' || !id) return refuse('BAD_REQUEST', 'The envelope has no id')
  if (env.v !== PROTOCOL_VERSION) {
    return refuse('BAD_REQUEST', `Protocol version ${env.v} is not ${PROTOCOL_VERSION}`)
  }
  if (typeof env.op !== 'string' || !Object.hasOwn(table, env.op)) {
    return refuse('UNKNOWN_OP', `Unknown operation ${String(env.op)}`)
  }
  // The fingerprint and the key lookup need both.
  if (typeof env.payload !== 'object' || env.payload === null) {
    return refuse('BAD_REQUEST', 'The envelope has no payload object')
  }
  if (env.key != null && typeof env.key !== 'string') {
    return refuse('BAD_REQUEST', 'The idempotency key is not a string')
  }
  if ((options.now ?? Date.now)() > env.deadline) {
    return refuse('EXPIRED', 'The caller stopped waiting before the operation started')
  }
  const halted = db && haltRefusal(db, env.op)
  if (halted) return { ok: false, reply: reply(id, refusalOf(halted)) }
  return { ok: true, env }
}

/** The reply to an earlier use of an idempotency key: a replay, or a refusal if the request differs. */
export function replayOf(id: string, env: RequestEnvelope, earlier: Remembered, print: string) {
  if (earlier.fingerprint !== print) {
    return reply(
      id,
      failure(
        'IDEMPOTENCY_KEY_REUSED',
        `Idempotency-Key ${env.key} was already used for a different request`,
        [{ path: 'Idempotency-Key', message: 'was used before with another body or route' }]
      )
    )
  }
  return reply(id, earlier.outcome, true)
}

/**
 * Envelope in, envelope out. Write operations must be given a transaction: they honour the
 * idempotency key, storing the outcome (success or refusal) under it in the same transaction.
 */
export async function dispatch(
  db: Knex,
  raw: unknown,
  options: DispatchOptions
): Promise<ReplyEnvelope> {
  const admission = admit(raw, options, db)
  if (!admission.ok) return admission.reply
  return execute(db, admission.env, options)
}

/** Executes an admitted envelope (see `admit`). */
export async function execute(
  db: Knex,
  env: RequestEnvelope,
  options: DispatchOptions
): Promise<ReplyEnvelope> {
  const table = options.table ?? defaultTable
  if (!WRITE_OPS.has(env.op) || !env.key)
    return reply(env.id, await run(db, env, table, options.log))

  const print = fingerprint(env.op, env.payload)
  const earlier = await recall(db, env.key)
  if (earlier) return replayOf(env.id, env, earlier, print)
  const outcome = await run(db, env, table, options.log)
  if (outcome.ok || outcome.error.code !== 'INTERNAL') {
    await remember(db, env.key, env.op, print, outcome)
  }
  return reply(env.id, outcome)
}
