import { queueBatchInput } from '../../../../api/index.ts'
import { defineHandler } from '../../../../runtime/index.ts'
import { queueOf, toStored, unnamedId } from '../../../_shared/queues.ts'

/**
 * Publishes up to 1000 messages in one commit, each with its own id and result (a duplicate id is
 * named, not refused). All are on disk when it answers, or none is.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Publishes many messages to a queue in one commit',
    body: queueBatchInput,
    maxBodyBytes: 4 * 1024 * 1024,
    example: {
      body: {
        messages: [
          { id: 'a-1', body: 1 },
          { id: 'a-2', body: 2 },
        ],
      },
    },
  },
  async (request, ctx, { body }) => {
    const queue = queueOf(request)
    const messages = body.messages.map((m, i) =>
      toStored(m, unnamedId(request, i), `messages.${i}.body`)
    )
    return ctx.db.send('queues.publish', { queue, messages })
  }
)
