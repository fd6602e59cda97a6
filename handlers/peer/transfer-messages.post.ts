import {
  defineHandler,
  TRANSFER_MESSAGES,
  type TransferMessagesAnswer,
} from '../../runtime/index.ts'
import { signer } from '../_shared/peer.ts'

/**
 * A peer's outbox, a batch at a time: each message applied once by this node's inbox, in the
 * same transaction as its answer, and answered (a message seen before gets `duplicate`). The
 * sender is the node that signed the request, never a field of it. The runtime signs the answer,
 * and wakes the relay when applying the messages put answers in this node's outbox.
 */
export default defineHandler(
  {
    access: 'peer',
    summary: "A peer's outbox, a batch of transfer messages",
    body: TRANSFER_MESSAGES.message,
    example: {
      body: {
        fromName: 'Madrid',
        messages: [
          {
            id: '9c2e4b1a-5f3d-4e6c-8a7b-1d0f2e3c4b5a',
            kind: 'transfer.dispatched',
            transferId: 'b3e6f0c2-1a4d-4c8e-9f2a-5d7c3e1b9a60',
            createdAt: '2026-11-30T10:00:00.000Z',
            payload: { lines: [{ sku: 'BOLT-M8', quantity: 100 }], reference: 'TR-9' },
          },
        ],
      },
    },
  },
  async (_request, ctx, { body: { fromName, messages } }): Promise<TransferMessagesAnswer> => {
    const from = signer(ctx)
    const { results } = await ctx.db.send('transfers.inboxV2', { from, fromName, messages })
    // A federated topic's messages are on their topics and subscriptions now: wake who waits.
    if (messages.some((m) => m.kind === 'message.federated')) ctx.queues.published()
    return { results }
  }
)
