import { cancelInput, type TransferDetail } from '../../../api/index.ts'
import { defineHandler, json } from '../../../runtime/index.ts'
import { idOf } from '../../_shared/transfers.ts'

/**
 * Asks the receiver to cancel an outgoing transfer: 202, cancel_requested. Only its acceptance
 * lets the goods be booked back; refused at once (409 ALREADY_RECEIVED) once a receipt is known.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Asks the receiver to cancel an outgoing transfer (202)',
    body: cancelInput,
    example: {
      params: { id: 'b3e6f0c2-1a4d-4c8e-9f2a-5d7c3e1b9a60' },
      body: { reason: 'Sent to the wrong warehouse' },
    },
  },
  async (request, ctx, { body: { reason } }) => {
    const id = idOf(request)
    const transfer: TransferDetail = await ctx.db.send('transfers.cancel', { id, reason })
    return json(transfer, 202)
  }
)
