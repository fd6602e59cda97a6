import { createHash } from 'node:crypto'
import { MAX_MESSAGE_BYTES, queueName, type QueueMessageInput } from '../../api/index.ts'
import { HttpError, validate, type HandlerRequest } from '../../runtime/index.ts'

/** The queue the path names. */
export function queueOf(request: HandlerRequest): string {
  return validate(queueName, request.params.name, 'queue name in the path')
}

/**
 * The id of a message published without one: made from the request's Idempotency-Key when it
 * carries one (and from the message's place in a batch), else new. A retry with the key asks for
 * exactly what the first request did, and is answered as it was: a new id in each made the retry
 * a different request, refused 422 as a reuse of the key.
 */
export function unnamedId(request: HandlerRequest, index?: number): string {
  const key = request.headers.get('idempotency-key')
  if (key === null) return crypto.randomUUID()
  const hash = createHash('sha256').update(key).digest('base64url').slice(0, 32)
  return index === undefined ? `key:${hash}` : `key:${hash}:${index}`
}

/**
 * A message as the worker stores it: its body as JSON text (refused past `limit`: a queue's
 * MAX_MESSAGE_BYTES unless told) and an id, the one given or `unnamed`, so that every message
 * can be told from a copy of itself.
 */
export function toStored(
  message: QueueMessageInput,
  unnamed: string,
  path = 'body',
  limit = { bytes: MAX_MESSAGE_BYTES, of: 'a message' }
) {
  const body = JSON.stringify(message.body)
  const bytes = Buffer.byteLength(body)
  if (bytes > limit.bytes) {
    const problem = `is ${bytes} bytes as JSON; ${limit.of} may be at most ${limit.bytes}`
    throw new HttpError('VALIDATION_FAILED', `Invalid message: ${path} ${problem}`, {
      details: [{ path, message: problem }],
    })
  }
  return {
    id: message.id ?? unnamed,
    body,
    headers: message.headers,
    delayMs: message.delayMs,
    ttlMs: message.ttlMs ?? null,
  }
}
