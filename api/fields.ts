// The fields the REST surface shares among its routes, as zod schemas: the node validates what it
// is sent with them, and the client what a person types. Messages complete a sentence that starts
// with the field's name ("quantity must be greater than zero").
import { z } from 'zod'

/** The largest quantity, count or change the node takes: far beyond any warehouse, within SQLite. */
export const MAX_QUANTITY = 1_000_000_000

/** A missing field is "required"; a field of the wrong type "must be a string" (or a number). */
function expected(kind: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? 'is required' : `must be ${kind}`
}

/**
 * SKUs are case-insensitive: stored and compared upper-case. The characters are checked before
 * upper-casing, which would otherwise turn `ß` into `SS` and `ﬀ` into `FF`, another item's SKU.
 */
export const sku = z
  .string({ error: expected('a string') })
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    error:
      'must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit',
  })
  .toUpperCase()

/**
 * Control characters other than tab and line breaks: NUL, the terminal's escape (ESC) and the
 * rest of C0, DEL, and C1. Stored, they would go into every export, label and terminal that
 * shows the text: an ESC sequence in a note could rewrite what a person sees in the client.
 * And the invisible characters that change what a text looks like without showing themselves:
 * the bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069: a note could
 * show its end first, as in "Trojan Source"), the zero-width space, word joiner and BOM (two
 * names that look the same and are not). The marks that scripts need (LRM, RLM, ZWJ, ZWNJ) stay.
 */
const CONTROL =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/

/** Whether a text holds none of those control characters. */
export const withoutControls = (s: string): boolean => !CONTROL.test(s)

const CONTROLS = new RegExp(CONTROL.source, 'g')

/**
 * A text as a terminal may show it: each of those characters a visible U+FFFD. For what came from
 * elsewhere (a peer's ledger, a name older than the rules) where an ESC would reach the screen.
 */
export const showable = (s: string): string => s.replace(CONTROLS, '\uFFFD')

/** How deep the arrays and objects of a JSON value nest (0 for a string, a number…). */
export function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0
  let deepest = 0
  for (const inner of Object.values(value)) deepest = Math.max(deepest, depthOf(inner))
  return deepest + 1
}

/** Free text, surrounding spaces dropped, at most `max` characters, no control characters. */
export function text(max: number) {
  return z
    .string({ error: expected('a string') })
    .trim()
    .max(max, { error: `must be at most ${max} characters` })
    .refine(withoutControls, {
      error:
        'must not contain control characters (tabs and line breaks aside), direction overrides or zero-width spaces',
    })
}

export function requiredText(max: number) {
  return text(max).min(1, { error: 'must not be empty' })
}

/** A quantity of stock: a positive whole number in the item's unit. */
export const quantity = z
  .number({ error: expected('a number') })
  .int({ error: 'must be a whole number' })
  .positive({ error: 'must be greater than zero' })
  .max(MAX_QUANTITY, { error: 'must be at most 1,000,000,000' })

function wholeCount(kind: string) {
  return z
    .number({ error: expected(kind) })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must not be negative' })
    .max(MAX_QUANTITY, { error: 'must be at most 1,000,000,000' })
}

/** A count that may be zero: a counted quantity. */
export const count = wholeCount('a number')

/** Stock at or below it is low; null is no reorder point (the item is never low). */
export const reorderPoint = wholeCount('a number, or null for none').nullable()

/** A signed change to on hand, never zero: an adjustment's correction. */
export const delta = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(-MAX_QUANTITY, { error: 'must be at least -1,000,000,000' })
  .max(MAX_QUANTITY, { error: 'must be at most 1,000,000,000' })
  .refine((n) => n !== 0, { error: 'must not be zero' })

/**
 * A whole number in a query string, written in digits (a minus sign allowed, so that a negative
 * is refused for its range): `1e3`, `0x2a`, `+43`, `43.0` and an empty value are numbers to
 * JavaScript, not what anyone meant. `unit` follows the bounds in their messages (` ms`).
 */
export function queryWhole(min: number, max: number, unit = '') {
  return z
    .string()
    .regex(/^-?[0-9]{1,15}$/, { error: 'must be a whole number, in digits' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `must be at least ${min}${unit}` })
        .max(max, { error: `must be at most ${max}${unit}` })
    )
}

/** Paging for list routes: `limit` (1-500, default 50) and the `cursor` a previous page returned. */
export const paging = {
  limit: queryWhole(1, 500).default(50),
  cursor: z.string().max(200, { error: 'must be at most 200 characters' }).optional(),
}

/** A page of a list: its rows under `name`, and the cursor of the next page (null at the end). */
export type Page<Name extends string, Row> = { [K in Name]: Row[] } & {
  nextCursor: string | null
}

/**
 * An Idempotency-Key header: a retry with the same key is answered with the first outcome and
 * never applied twice. Visible ASCII, as an HTTP header value can carry it unescaped.
 */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/

export const idempotencyKey = z
  .string()
  .regex(IDEMPOTENCY_KEY, { error: 'must be 1-200 visible ASCII characters' })
