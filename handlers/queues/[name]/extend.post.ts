import { queueExtendInput } from '../../../api/index.ts'
import { defineHandler } from '../../../runtime/index.ts'
import { queueOf } from '../../_shared/queues.ts'

/**
 * Keeps deliveries hidden for visibilityMs more, from now: for work that takes longer. A shorter
 * visibilityMs shows them sooner than a waiting receive expected: it is told to look again
 * (runtime/stages/wake-queues.ts).
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Extends the visibility timeout of delivered messages, by receipt',
    body: queueExtendInput,
    example: { body: { receipts: ['17.Qm9sdC1NOC16aW5j'], visibilityMs: 60000 } },
  },
  async (request, ctx, { body }) =>
    ctx.db.send('queues.extend', { queue: queueOf(request), ...body })
)
