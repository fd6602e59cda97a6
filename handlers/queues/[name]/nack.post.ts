import { queueNackInput } from '../../../api/index.ts'
import { defineHandler } from '../../../runtime/index.ts'
import { queueOf } from '../../_shared/queues.ts'

/** Gives deliveries back: their messages are visible again, at once or after delayMs. */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Gives delivered messages back to the queue, by receipt',
    body: queueNackInput,
    example: { body: { receipts: ['17.Qm9sdC1NOC16aW5j'], delayMs: 1000 } },
  },
  async (request, ctx, { body }) => ctx.db.send('queues.nack', { queue: queueOf(request), ...body })
)
