import {
  MAX_PUBLISH_REQUEST_BYTES,
  MAX_TOPIC_MESSAGE_BYTES,
  queueMessageInput,
  topicName,
} from '../../../api/index.ts'
import { created, defineHandler, HttpError, validate } from '../../../runtime/index.ts'
import { toStored, unnamedId } from '../../_shared/queues.ts'

/**
 * Publishes a message to a topic (201: on disk, and in the queue of every subscription whose
 * pattern matches, in the same commit). Sent again with the same id, it is taken once.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Publishes a message to a topic and its subscriptions (201, on disk)',
    body: queueMessageInput,
    maxBodyBytes: MAX_PUBLISH_REQUEST_BYTES,
    example: { body: { id: 'order-1042', body: { order: 1042 }, headers: { source: 'erp' } } },
  },
  async (request, ctx, { body }) => {
    const topic = validate(topicName, request.params.name, 'topic in the path')
    const {
      id,
      body: text,
      headers,
      delayMs,
      ttlMs,
    } = toStored(body, unnamedId(request), 'body', {
      bytes: MAX_TOPIC_MESSAGE_BYTES,
      of: "a topic's message",
    })
    if (delayMs !== 0 || ttlMs !== null) {
      throw new HttpError(
        'VALIDATION_FAILED',
        'A topic takes no delayMs or ttlMs: its retention says how long it keeps a message',
        {
          details: [{ path: delayMs !== 0 ? 'delayMs' : 'ttlMs', message: 'not taken by a topic' }],
        }
      )
    }
    const bytes = Buffer.byteLength(text) + Buffer.byteLength(JSON.stringify(headers))
    if (bytes > MAX_TOPIC_MESSAGE_BYTES) {
      const problem = `is ${bytes} bytes with its headers; a topic's message may be at most ${MAX_TOPIC_MESSAGE_BYTES}`
      throw new HttpError('VALIDATION_FAILED', `Invalid message: body ${problem}`, {
        details: [{ path: 'body', message: problem }],
      })
    }
    const { results } = await ctx.db.send('topics.publish', {
      topic,
      messages: [{ id, body: text, headers }],
    })
    return created(results[0])
  }
)
