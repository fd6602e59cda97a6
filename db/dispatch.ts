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
import { execute, type DispatchOptions } from './execute.ts'
import { haltRefusal } from './ledger/start-check.ts'
import { operations as defaultTable, type OperationTable } from './operations/index.ts'
import { failure, refusalOf, reply } from './outcome.ts'

export type { DispatchOptions }

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
/**
 * A field of an envelope in a refusal: a string or number as it is, anything else by its type. An
 * object's own toString could throw (`{"toString": 0}`), failing the batch instead of the envelope.
 */
const shown = (value: unknown) =>
  typeof value === 'string' || typeof value === 'number'
    ? String(value)
    : `(${value === null ? 'null' : typeof value})`

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
    return refuse('BAD_REQUEST', `Protocol version ${shown(env.v)} is not ${PROTOCOL_VERSION}`)
  }
  if (typeof env.op !== 'string' || !Object.hasOwn(table, env.op)) {
    return refuse('UNKNOWN_OP', `Unknown operation ${shown(env.op)}`)
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
  if (env.actor != null && (typeof env.actor !== 'string' || env.actor.length > 200)) {
    return refuse('BAD_REQUEST', 'The actor is not a string of at most 200 characters')
  }
  if (env.deadline !== undefined && !Number.isFinite(env.deadline)) {
    return refuse('BAD_REQUEST', 'The deadline is not a number')
  }
  if ((options.now ?? Date.now)() > env.deadline) {
    return refuse('EXPIRED', 'The caller stopped waiting before the operation started')
  }
  const halted = db && haltRefusal(db, env.op)
  if (halted) return { ok: false, reply: reply(id, refusalOf(halted)) }
  return { ok: true, env }
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
