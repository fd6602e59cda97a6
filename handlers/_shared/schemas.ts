import { z } from '../../runtime/index.ts'

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

export function text(max: number) {
  return z
    .string({ error: expected('a string') })
    .trim()
    .max(max, { error: `must be at most ${max} characters` })
}

export function requiredText(max: number) {
  return text(max).min(1, { error: 'must not be empty' })
}

/** A quantity of stock: a positive whole number in the item's unit. */
export const quantity = z
  .number({ error: expected('a number') })
  .int({ error: 'must be a whole number' })
  .positive({ error: 'must be greater than zero' })
  .max(1_000_000_000, { error: 'must be at most 1,000,000,000' })

/** Paging for list routes: `limit` (1-500, default 50) and the `cursor` a previous page returned. */
export const paging = {
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(500, { error: 'must be at most 500' })
    .default(50),
  cursor: z.string().max(200, { error: 'must be at most 200 characters' }).optional(),
}

function wholeCount(kind: string) {
  return z
    .number({ error: expected(kind) })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must not be negative' })
    .max(1_000_000_000, { error: 'must be at most 1,000,000,000' })
}

/** A count that may be zero: a counted quantity. */
export const count = wholeCount('a number')

/** Stock at or below it is low; null is no reorder point (the item is never low). */
export const reorderPoint = wholeCount('a number, or null for none').nullable()
