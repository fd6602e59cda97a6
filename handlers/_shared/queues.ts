import { MAX_MESSAGE_BYTES, queueName, type QueueMessageInput } from '../../api/index.ts'
import { HttpError, validate, type HandlerRequest } from '../../runtime/index.ts'

/** The queue the path names. */
export function queueOf(request: HandlerRequest): string {
  return validate(queueName, request.params.name, 'queue name in the path')
}

/**
 * A message as the worker stores it: its body as JSON text (refused past `limit`: a queue's
 * MAX_MESSAGE_BYTES unless told) and an id, the one given or a new one, so that every message can
 * be told from a copy of itself.
 */
export function toStored(
  message: QueueMessageInput,
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
    id: message.id ?? crypto.randomUUID(),
    body,
    headers: message.headers,
    delayMs: message.delayMs,
    ttlMs: message.ttlMs ?? null,
  }
}
