// The node's event log: GET /events pages through it, GET /events/stream follows it live as
// server-sent events. Every change others must hear about is an event, in commit order.
import { z } from 'zod'
import { queryWhole } from './fields.ts'

/**
 * What the log records so far; the list only grows. `transfer.changed`: data is the Transfer, with
 * the rest of its record (`cause`, `announced`, `receipts` with their lines) for a restore.
 */
export const EVENT_TYPES = [
  'movement.recorded',
  'item.created',
  'item.updated',
  'member.changed',
  'transfer.changed',
]

/** One entry of the log: `seq` counts from 1 without gaps, `data` is the whole row it is about. */
export interface NodeEvent<T = unknown> {
  seq: number
  type: string
  /** The key of what it is about: the SKU, the member's id, the transfer's id. */
  subject: string
  data: T
  createdAt: string
}

/** An event sequence number: 0 is "before the first event". */
const seq = queryWhole(0, Number.MAX_SAFE_INTEGER)

/**
 * A comma-separated list of event types, such as movement.recorded,item.updated. A type the log
 * does not record is refused by name, and a list that names none (`types=`, `types=,`): either
 * would otherwise match nothing, and a stream wait silently for ever.
 */
const types = z
  .string()
  .max(500, { error: 'must be at most 500 characters' })
  .transform((list, ctx) => {
    const asked = list
      .split(',')
      .map((type) => type.trim())
      .filter(Boolean)
    const unknown = asked.filter((type) => !EVENT_TYPES.includes(type))
    if (asked.length === 0) {
      ctx.issues.push({
        code: 'custom',
        input: list,
        message: `names no event type (it records ${EVENT_TYPES.join(', ')}); leave it out for every type`,
      })
    } else if (unknown.length > 0) {
      ctx.issues.push({
        code: 'custom',
        input: list,
        message: `names no event type the log records: ${unknown.join(', ')} (it records ${EVENT_TYPES.join(', ')})`,
      })
    }
    return asked
  })

/** GET /events: the events after `after`, oldest first, `limit` at most, of the `types` given. */
export const eventsQuery = z.strictObject({
  after: seq.default(0),
  limit: queryWhole(1, 500).default(100),
  types: types.optional(),
})

export interface EventPage {
  events: NodeEvent[]
  /** The last seq of the whole log. */
  head: number
  /** Pass as `after` for the next page (the last seq of this page, or `after` when it is empty). */
  nextAfter: number
}

/**
 * Where a stream resumes: a seq. Given empty it is refused, not read as 0 (a replay of everything
 * kept): left out, the stream starts from now. `leaveOut` names what to leave out.
 */
const position = (leaveOut: string) =>
  z
    .string()
    .trim()
    .min(1, { error: `must be a number (leave ${leaveOut} out to start from now)`, abort: true })
    // Digits only: 1e3, 0x2a, +43 and 43.0 are numbers to JavaScript, not positions.
    .regex(/^[0-9]{1,15}$/, { error: 'must be a whole number, in digits' })
    .transform(Number)

/** A stream's `after`. */
export const streamPosition = position('after')

/**
 * GET /events/stream: from `after` (or the Last-Event-ID header a reconnecting browser sends),
 * else from now; `types` as for GET /events.
 */
export const eventStreamQuery = z.strictObject({
  after: streamPosition.optional(),
  types: types.optional(),
})

/** A Last-Event-ID header: the seq of the last event the client received. */
export const lastEventId = position('the header')
