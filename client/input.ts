// What a person may type, checked before anything is sent, with the node's own schemas (api/):
// a mistake is caught at the prompt (or on the command line) with a sentence, not a round trip.
// What is the client's own is how typed text becomes a value, and the wording at the prompt.
import type { z } from 'zod'
import * as api from '../api/index.ts'

/** A parser turns typed text into a value, or throws an InputError whose message starts "must". */
export type Parse<T> = (text: string) => T

export class InputError extends Error {}

/**
 * The value as the node's schema takes it, or an InputError: with the prompt's own sentence
 * (`say`, which shows an example) unless the value is only too big, which the node's says best.
 */
function check<S extends z.ZodType>(schema: S, value: unknown, say?: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const [issue] = result.error.issues
  throw new InputError(say !== undefined && issue.code !== 'too_big' ? say : issue.message)
}

/** Typed digits as a number, with an optional sign; NaN for anything else (1.5, 1e3, 0x10). */
function whole(text: string, signed: boolean): number {
  const trimmed = text.trim()
  return (signed ? /^[+-]?\d+$/ : /^\+?\d+$/).test(trimmed) ? Number(trimmed) : NaN
}

/** SKUs are case-insensitive; the node stores them upper-case. */
export const sku: Parse<string> = (text) => check(api.sku, text)

/** Stock moved by a receipt or an issue: a whole number greater than zero. */
export const quantity: Parse<number> = (text) =>
  check(api.quantity, whole(text, false), 'must be a whole number greater than zero, such as 12')

/** What was counted, or a reorder point: a whole number, zero allowed. */
export const count: Parse<number> = (text) =>
  check(api.count, whole(text, false), 'must be a whole number, zero or more, such as 40')

/** A count of at most `max`; `what` says what the most is ("the 7 on the way"). */
export function countUpTo(max: number, what = String(max)): Parse<number> {
  return (text) => {
    const n = count(text)
    if (n > max) throw new InputError(`must be at most ${what}`)
    return n
  }
}

/** A reorder point, or none: empty, "-" or "none" (stock is then never shown as low). */
export const reorderPoint: Parse<number | null> = (text) =>
  ['', '-', 'none'].includes(text.trim().toLowerCase()) ? null : count(text)

const SIGNED = 'must be + or - and a whole number other than zero, such as -2 or +5'

/**
 * A signed correction: "+5" found, "-2" damaged. The sign is required, so that a count typed
 * into the wrong prompt ("197") is not taken as 197 more.
 */
export const delta: Parse<number> = (text) => {
  if (!/^\s*[+-]/.test(text)) throw new InputError(SIGNED)
  return check(api.delta, whole(text, true), SIGNED)
}

/** How many rows a list asks for at once (the node's own bounds). */
export const limit: Parse<number> = (text) =>
  // The node's schema reads a query string's digits.
  check(api.paging.limit, String(whole(text, false)), 'must be a whole number from 1 to 500')

/** Free text with the node's length limit; surrounding spaces dropped. */
export function text(max: number, required = false): Parse<string> {
  const schema = required ? api.requiredText(max) : api.text(max)
  return (value) => check(schema, value)
}

/** The same parser as a prompts `validate`: true, or the sentence to show under the answer. */
export function validator<T>(parse: Parse<T>, label: string) {
  return (value: string): true | string => {
    try {
      parse(String(value ?? ''))
      return true
    } catch (err) {
      if (!(err instanceof InputError)) throw err
      return `${label} ${err.message}`
    }
  }
}

const HTTP_URL = 'must be an http(s) URL such as http://10.0.0.2:8080'

/** Another node's address, as the node takes it to join through: an http(s) host and port. */
export const nodeUrl: Parse<string> = (text) => check(api.joinAddress, text.trim(), HTTP_URL)

/** One or more node addresses typed on one line, separated by spaces or commas (at most 50). */
export const nodeUrls: Parse<string[]> = (text) => {
  const words = text.split(/[\s,]+/).filter(Boolean)
  if (!words.length)
    throw new InputError('must name at least one node, such as http://10.0.0.2:8080')
  const addresses = words.map((word) => {
    try {
      return nodeUrl(word)
    } catch {
      throw new InputError(
        `must each be an http(s) URL such as http://10.0.0.2:8080; "${word}" is not`
      )
    }
  })
  return check(api.joinInput.shape.addresses, addresses)
}

/** An Idempotency-Key a script chooses, as the node accepts it. */
export const idempotencyKey: Parse<string> = (value) =>
  check(api.idempotencyKey, value, 'must be 1-200 visible ASCII characters (no spaces)')

/** Another warehouse as the node resolves it among its members: its name or its node id. */
export const warehouse: Parse<string> = (value) =>
  check(api.transferInput.shape.to, value, 'must name a warehouse: its name or node id')

/** A transfer's id, as the node made it (a UUID) and shows it. */
export const transferId: Parse<string> = (value) => {
  const id = value.trim()
  if (!/^[\x21-\x7e]{1,100}$/.test(id)) {
    throw new InputError('must be a transfer id as almacen transfers shows it')
  }
  return id
}

/** A state of a transfer, at either side. */
export const transferState: Parse<string> = (value) =>
  check(
    api.transfersQuery.shape.state,
    value.trim().toLowerCase(),
    `must be one of ${api.TRANSFER_STATES.join(', ')}`
  ) as string
