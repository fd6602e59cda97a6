import { MAX_PUBLISH_REQUEST_BYTES, queueMessageInput, queueTextQuery } from '../../../api/index.ts'
import { created, defineHandler, HttpError, validate } from '../../../runtime/index.ts'
import { queueOf, toStored, unnamedId } from '../../_shared/queues.ts'

/**
 * Publishes one message: JSON (the message with its body, id and headers), or plain text (the
 * body itself, its id in the query). The 201 means it is on disk. Sent again with the same id, it
 * is taken once: the answer says `duplicate` and names the first one's place.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Publishes a message to a queue (201, on disk)',
    query: queueTextQuery,
    body: queueMessageInput,
    maxBodyBytes: MAX_PUBLISH_REQUEST_BYTES,
    text: {
      type: 'text/plain',
      description: 'The body of the message as it is (a label to print, a line of a file)',
      example: 'BOLT-M8 x 40 to bay 3',
    },
    example: {
      body: { id: 'order-1042', body: { order: 1042, lines: 3 }, headers: { source: 'erp' } },
    },
  },
  async (request, ctx, { query, body, text }) => {
    const queue = queueOf(request)
    // A JSON message carries its own id: one in the query too would be dropped without a word,
    // and a retry that counted on it taken twice.
    if (text === undefined && query.id !== undefined) {
      const problem = `is for a plain-text body; a JSON message gives its id in it: {"id": "${query.id}", "body": …}`
      throw new HttpError('VALIDATION_FAILED', `Invalid message: id in the query ${problem}`, {
        details: [{ path: 'id', message: problem }],
      })
    }
    const message =
      text !== undefined
        ? validate(queueMessageInput, { body: text, ...(query.id && { id: query.id }) }, 'body')
        : body
    const stored = toStored(message as NonNullable<typeof body>, unnamedId(request))
    const { results } = await ctx.db.send('queues.publish', { queue, messages: [stored] })
    return created(results[0])
  }
)
