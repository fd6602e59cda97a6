// Exactly-once for clients: a mutating request may carry an Idempotency-Key, and a retry with the
// same key gets the first outcome instead of a second change. The key covers one write, so a
// request makes one write at most: the runtime gives the key to that write, and refuses a second
// (a handler that needs two writes needs one worker operation doing both, in one transaction, as
// a transfer and its outbox row will). Reads carry no key: they change nothing to replay.
import { IDEMPOTENCY_KEY } from '../../api/fields.ts'
import { WRITE_OPS, type OpName } from '../../db/contract/index.ts'
import type { Db, EachAnswer } from '../context.ts'
import type { DbClient } from '../db-client.ts'
import { HttpError } from '../errors.ts'
import type { Exchange, Stage } from './exchange.ts'

export const withIdempotencyKey: Stage = function withIdempotencyKey(request, exchange) {
  // Not for node-to-node requests: their signature does not cover the header, and a peer's
  // messages carry their own signed ids. One put in on the way, well formed or not, is ignored.
  if (exchange.toPeer) return
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
      if (write) oneWrite(exchange, op, options?.again === true)
      try {
        const key = write ? exchange.key : undefined
        // Reads name their user too: an operation that only reads may still be kept to some
        // users (a queue's messages looked at, a topic's stream).
        const actor = actorOf(exchange)
        const reply = await db.call(op, payload, { key, actor, timeoutMs: options?.timeoutMs })
        if (reply.replayed) exchange.replayed = true
        return reply.data as never
      } catch (err) {
        if ((err as { replayed?: boolean }).replayed === true) exchange.replayed = true
        throw err
      }
    },
    async sendEach(op, calls, options) {
      oneWrite(exchange, op)
      if (exchange.key !== undefined) {
        const message = 'is not taken here: each line carries its own key'
        throw new HttpError('VALIDATION_FAILED', `Idempotency-Key ${message}`, {
          details: [{ path: 'Idempotency-Key', message }],
        })
      }
      const actor = actorOf(exchange)
      const answers: EachAnswer<never>[] = []
      // A slice at a time, in order: a later line may depend on an earlier one (a receipt, then
      // an issue of it), and the calls in flight stay well under the client's bound.
      for (let at = 0; at < calls.length; at += EACH_SLICE) {
        const slice = calls.slice(at, at + EACH_SLICE)
        const sent = slice.map((call) => answerOf(db, op, call, { ...options, actor }))
        answers.push(...(await Promise.all(sent)))
      }
      return answers
    },
  }
}

/** Calls of sendEach in flight at once. */
const EACH_SLICE = 128

async function answerOf(
  db: DbClient,
  op: OpName,
  { payload, key }: { payload: unknown; key: string },
  options: { timeoutMs?: number; actor?: string }
): Promise<EachAnswer<never>> {
  try {
    const reply = await db.call(op, payload as never, { key, ...options })
    return { ok: true, data: reply.data as never, replayed: reply.replayed }
  } catch (err) {
    if (!(err instanceof HttpError)) throw err
    const { status, code, message: error, details } = err
    const replayed = (err as { replayed?: boolean }).replayed === true
    return { ok: false, status, code, error, ...(details !== undefined && { details }), replayed }
  }
}

/** Who a request's write is made by: its token's user, or the peer that signed it. */
function actorOf(exchange: Exchange): string | undefined {
  return exchange.user?.name ?? (exchange.peer === undefined ? undefined : `peer:${exchange.peer}`)
}

/**
 * A second write in one request is a fault of its handler: a 500, logged, and nothing sent; but
 * the same write again (`again`: Db.send), in a request with no key to cover it twice.
 */
function oneWrite(exchange: Exchange, op: OpName, again = false): void {
  if (again && exchange.wrote === op && exchange.key === undefined) return
  if (exchange.wrote !== undefined) {
    throw new Error(
      `A request makes one write, and this one sent ${exchange.wrote} and then ${op}: make them ` +
        'one worker operation, so that the Idempotency-Key covers both'
    )
  }
  exchange.wrote = op
}
