// What an operation's execution came to, before it is put in a reply envelope: data, or a wire
// error. Refusals are outcomes, so one envelope's refusal never disturbs the others of its run.
import {
  PROTOCOL_VERSION,
  type ErrorCode,
  type ReplyEnvelope,
  type WireError,
} from './contract/index.ts'
import { DomainError } from './domain-error.ts'

export type Outcome<T = unknown> = { ok: true; data: T } | { ok: false; error: WireError }

export function failure(code: ErrorCode, message: string, details?: unknown): Outcome<never> {
  return {
    ok: false,
    error: details === undefined ? { code, message } : { code, message, details },
  }
}

/** The outcome of a refusal an operation decided. */
export function refusalOf(err: DomainError): Outcome<never> {
  return failure(err.code, err.message, err.details)
}

/** The data of an outcome, or its refusal thrown (for the one-envelope form of an operation). */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.data
  throw new DomainError(outcome.error.code, outcome.error.message, outcome.error.details)
}

export function reply(id: string, outcome: Outcome, replayed = false): ReplyEnvelope {
  const base = { v: PROTOCOL_VERSION, id, ...(replayed ? { replayed } : {}) }
  return outcome.ok
    ? { ...base, ok: true, data: outcome.data }
    : { ...base, ok: false, error: outcome.error }
}
