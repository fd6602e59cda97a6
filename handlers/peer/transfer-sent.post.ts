import { defineHandler, TRANSFER_SENT, type TransferSentAnswer } from '../../runtime/index.ts'
import { signer } from '../_shared/peer.ts'

/**
 * Whether this node sent transfer `id` to the node asking, by its records: the receiver of a
 * delivery note whose id it does not know asks before taking the goods into stock. Read-only.
 */
export default defineHandler(
  {
    access: 'peer',
    summary: 'Whether this node sent a transfer to the node asking',
    body: TRANSFER_SENT.message,
    example: { body: { id: 'b3e6f0c2-1a4d-4c8e-9f2a-5d7c3e1b9a60' } },
  },
  async (_request, ctx, { body: { id } }): Promise<TransferSentAnswer> => {
    const asker = signer(ctx)
    const detail = await ctx.db.send('transfers.get', { id }).catch((err) => {
      if ((err as { code?: string }).code === 'NOT_FOUND') return null
      throw err
    })
    return { sent: detail?.direction === 'out' && detail.peer === asker }
  }
)
