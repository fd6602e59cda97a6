import type { Knex } from 'knex'
import type { Logger } from 'pino'
import type { z } from 'zod'
import {
  OPS,
  PROTOCOL_VERSION,
  WRITE_OPS,
  type ErrorCode,
  type OpName,
  type ReplyEnvelope,
  type RequestEnvelope,
} from './contract/index.ts'
import { DomainError } from './domain-error.ts'
import {
  fingerprint,
  loadKeys,
  storable,
  storeKeys,
  type KeyRecord,
  type Remembered,
} from './idempotency.ts'
import { haltRefusal } from './ledger/start-check.ts'
import { operations as defaultTable, type OperationTable } from './operations/index.ts'
import { failure, refusalOf, reply, type Outcome } from './outcome.ts'
import { withSql } from './sql.ts'

export interface DispatchOptions {
  log: Logger
  table?: OperationTable
  now?: () => number
}

/** True when the envelope names a write operation (which needs the write transaction). */
export function isWrite(envelope: unknown): boolean {
  return WRITE_OPS.has((envelope as RequestEnvelope | null)?.op as OpName)
}

export type Admission = { ok: true; env: RequestEnvelope } | { ok: false; reply: ReplyEnvelope }

type Issue = z.core.$ZodIssue

/**
 * The issues to report: for a payload that matches no alternative of a union (movements.record),
 * those of the alternative it came closest to, rather than zod's bare "Invalid input".
 */
function closest(issues: readonly Issue[], under: PropertyKey[] = []): Issue[] {
  return issues.flatMap((issue) => {
    const path = [...under, ...issue.path]
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ ...issue, path }]
    const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a))
    return closest(best, path)
  })
}

/** Where the payload breaks the operation's contract, as `{ path, message }` details. */
function payloadProblems(op: OpName, payload: unknown) {
  const checked = OPS[op]?.payload.safeParse(payload)
  if (!checked || checked.success) return null
  return closest(checked.error.issues).map((issue) => ({
    path: issue.path.map(String).join('.') || '(payload)',
    message: issue.message,
  }))
}

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
  const refuse = (code: ErrorCode, message: string, details?: unknown): Admission => ({
    ok: false,
    reply: reply(id, failure(code, message, details)),
  })
  if (!env || typeof env !== 'object' || !id) return refuse('BAD_REQUEST', 'The envelope has no id')
  if (env.v !== PROTOCOL_VERSION) {
    return refuse('BAD_REQUEST', `Protocol version ${env.v} is not ${PROTOCOL_VERSION}`)
  }
  if (typeof env.op !== 'string' || !Object.hasOwn(table, env.op)) {
    return refuse('UNKNOWN_OP', `Unknown operation ${String(env.op)}`)
  }
  if (typeof env.payload !== 'object' || env.payload === null) {
    return refuse('BAD_REQUEST', 'The envelope has no payload object')
  }
  // The contract's schema, so that no operation ever sees a payload of another shape.
  const problems = payloadProblems(env.op, env.payload)
  if (problems) {
    const where = problems.map((p) => `${p.path}: ${p.message}`).join('; ')
    return refuse(
      'BAD_REQUEST',
      `The payload of ${env.op} breaks its contract (${where})`,
      problems
    )
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
  const [answer] = await execute(db, [admission.env], options)
  return answer
}

/**
 * Executes admitted envelopes of one operation, in order (see `admit`): one alone, or a run of an
 * operation with a run form (db/operations/run.ts), which it decides at once. A write replays
 * what its idempotency key stored, and stores its outcome under the key; the keys of a run are
 * read and written with one statement each, and no key may appear twice in a run.
 */
export async function execute(
  db: Knex,
  envs: RequestEnvelope[],
  options: DispatchOptions
): Promise<ReplyEnvelope[]> {
  const { op } = envs[0]
  if (!WRITE_OPS.has(op)) {
    return (await perform(db, envs, options)).map((outcome, i) => reply(envs[i].id, outcome))
  }
  const keys = envs.flatMap((env) => (env.key ? [env.key] : []))
  const earlier = keys.length ? await withSql(db, (sql) => loadKeys(sql, keys)) : new Map()
  const replies: ReplyEnvelope[] = new Array(envs.length)
  const fresh: { index: number; print: string }[] = []
  envs.forEach((env, index) => {
    const print = env.key ? fingerprint(op, env.payload) : ''
    const before = env.key ? earlier.get(env.key) : undefined
    if (before) replies[index] = replayOf(env.id, env, before, print)
    else fresh.push({ index, print })
  })
  const outcomes = await perform(
    db,
    fresh.map(({ index }) => envs[index]),
    options
  )
  const records: KeyRecord[] = []
  fresh.forEach(({ index, print }, k) => {
    const { id, key } = envs[index]
    const outcome = outcomes[k]
    replies[index] = reply(id, outcome)
    if (key && storable(outcome)) records.push({ key, op, fingerprint: print, outcome })
  })
  // Outside the operations' savepoints: a key that cannot be stored fails the whole batch.
  if (records.length > 0) await withSql(db, (sql) => storeKeys(sql, records))
  return replies
}

/** Runs the operation for each envelope: a run at once if it can, else one by one. */
async function perform(
  db: Knex,
  envs: RequestEnvelope[],
  { log, table = defaultTable }: DispatchOptions
): Promise<Outcome[]> {
  if (envs.length === 0) return []
  const { op } = envs[0]
  const operation = table[op] as Operation
  if (envs.length > 1 && operation.run) {
    try {
      return await operation.run(
        db,
        envs.map((env) => env.payload)
      )
    } catch (err) {
      // The run left nothing behind: one by one, only the culprit fails.
      log.warn({ err, op, size: envs.length }, 'a run failed; running its envelopes one by one')
    }
  }
  const outcomes: Outcome[] = []
  for (const env of envs) outcomes.push(await performOne(db, env, operation, log))
  return outcomes
}

type Operation = ((trx: Knex, payload: unknown) => Promise<unknown>) & {
  run?: (db: Knex, payloads: unknown[]) => Promise<Outcome[]>
}

async function performOne(
  db: Knex,
  env: RequestEnvelope,
  operation: Operation,
  log: Logger
): Promise<Outcome> {
  try {
    // A run form holds a savepoint of its own; any other write runs inside one, so a refused or
    // failed write leaves nothing behind while the other writes of its batch commit.
    if (operation.run) return (await operation.run(db, [env.payload]))[0]
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
