// How an operation is declared in db/contract/<resource>.ts: read or write, its payload's schema
// and its result type.
import { z } from 'zod'

/**
 * What an operation declares: whether it reads or writes, and the payload the worker admits (a
 * zod schema, checked before the operation runs). A write runs in the batch's write transaction,
 * in a savepoint of its own, and honours the request's idempotency key.
 */
export interface OpDescriptor<S extends z.ZodType = z.ZodType, R = unknown> {
  kind: 'read' | 'write'
  payload: S
  /** Type only, never set: what the operation returns. */
  readonly result?: R
}

function describe(kind: OpDescriptor['kind']) {
  return <S extends z.ZodType>(payload: S) => ({
    /** The result type, which only TypeScript checks. */
    returns: <R>(): OpDescriptor<S, R> => ({ kind, payload }),
  })
}

/** An operation that only reads: `read(payloadSchema).returns<Result>()`. */
export const read = describe('read')
/** An operation that changes the database: `write(payloadSchema).returns<Result>()`. */
export const write = describe('write')

/** No payload: `{}`. */
export const nothing = z.strictObject({})

/** Paging for list operations: at most `limit` rows after the `cursor` a previous page gave. */
export const pageRequest = {
  limit: z.number().int().min(1),
  cursor: z.string().optional(),
}
export type PageRequest = z.infer<z.ZodObject<typeof pageRequest>>
