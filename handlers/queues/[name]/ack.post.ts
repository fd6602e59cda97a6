import { queueAckInput } from '../../../api/index.ts'
import { defineHandler } from '../../../runtime/index.ts'
import { queueOf } from '../../_shared/queues.ts'

/** Acknowledges deliveries: their messages are done with, and gone. One result per receipt. */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Acknowledges delivered messages, by receipt',
    body: queueAckInput,
    example: { body: { receipts: ['17.Qm9sdC1NOC16aW5j'] } },
  },
  async (request, ctx, { body }) => ctx.db.send('queues.ack', { queue: queueOf(request), ...body })
)
