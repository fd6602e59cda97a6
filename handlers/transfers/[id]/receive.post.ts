import { receiveInput, type TransferDetail } from '../../../api/index.ts'
import { defineHandler } from '../../../runtime/index.ts'
import { idOf, member } from '../../_shared/transfers.ts'

/**
 * Records a receipt of a transfer at the receiving warehouse: what arrived enters on hand
 * (transfer_in rows), damaged and short go back to the sender with their disposition. Accepted
 * before the dispatch message has arrived, given `from` (the sender), which this node's replica
 * of the sender can tell instead (and then checks). A receipt id makes a
 * repeated receipt harmless; `final` says nothing more will come.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Records a receipt of a transfer at the receiving warehouse',
    body: receiveInput,
    example: {
      params: { id: 'b3e6f0c2-1a4d-4c8e-9f2a-5d7c3e1b9a60' },
      body: {
        receiptId: 'GRN-311',
        lines: [{ sku: 'BOLT-M8', received: 95, damaged: 5, disposition: 'write_off' }],
        final: true,
      },
    },
  },
  async (request, ctx, { body: { from, ...input } }): Promise<TransferDetail> => {
    const id = idOf(request)
    const sender = from === undefined ? undefined : member(ctx, from, 'from')
    return ctx.db.send('transfers.receive', {
      id,
      ...(sender ? { from: sender.id, fromName: sender.name } : {}),
      ...input,
    })
  }
)
