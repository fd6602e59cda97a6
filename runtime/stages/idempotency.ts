// Exactly-once for clients: a mutating request may carry an Idempotency-Key, and a retry with the
// same key gets the first outcome instead of a second change. The key covers one write, so a
// request makes one write at most: the runtime gives the key to that write, and refuses a second
// (a handler that needs two writes needs one worker operation doing both, in one transaction, as
// a transfer and its outbox row will). Reads carry no key: they change nothing to replay.
import { IDEMPOTENCY_KEY } from '../../api/fields.ts'
import { WRITE_OPS, type OpName } from '../../db/contract/index.ts'
import type { Db } from '../context.ts'
import type { DbClient } from '../db-client.ts'
import { HttpError } from '../errors.ts'
import type { Exchange, Stage } from './exchange.ts'

export const withIdempotencyKey: Stage = function withIdempotencyKey(request, exchange) {
  const key = request.headers.get('idempotency-key')
  if (key === null) return
  if (!IDEMPOTENCY_KEY.test(key)) {
    const message = 'must be 1-200 visible ASCII characters'
    throw new HttpError('VALIDATION_FAILED', `Idempotency-Key ${message}`, {
      details: [{ path: 'Idempotency-Key', message }],
    })
  }
  exchange.key = key
}

/**
 * The database as one request's handler sees it: its one write carries the request's key, and
 * whether the answer was replayed is noted for the Idempotent-Replayed header.
 */
export function requestDb(db: DbClient, exchange: Exchange): Db {
  return {
    async send(op, payload, options) {
      const write = WRITE_OPS.has(op)
      if (write) oneWrite(exchange, op)
      try {
        const key = write ? exchange.key : undefined
        const reply = await db.call(op, payload, { key, timeoutMs: options?.timeoutMs })
        if (reply.replayed) exchange.replayed = true
        return reply.data as never
      } catch (err) {
        if ((err as { replayed?: boolean }).replayed === true) exchange.replayed = true
        throw err
      }
    },
  }
}

/** A second write in one request is a fault of its handler: a 500, logged, and nothing sent. */
function oneWrite(exchange: Exchange, op: OpName): void {
  if (exchange.wrote !== undefined) {
    throw new Error(
      `A request makes one write, and this one sent ${exchange.wrote} and then ${op}: make them ` +
        'one worker operation, so that the Idempotency-Key covers both'
    )
  }
  exchange.wrote = op
}
