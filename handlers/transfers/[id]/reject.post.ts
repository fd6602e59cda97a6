import { rejectInput, type TransferDetail } from '../../../api/index.ts'
import { defineHandler } from '../../../runtime/index.ts'
import { idOf } from '../../_shared/transfers.ts'

/**
 * Refuses a whole incoming transfer, before any receipt: the sender books the goods back. Also
 * undoes receipts made before the dispatch arrived that the sender refused (it has no such
 * transfer with this warehouse): what they put on hand comes off again.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Refuses a whole incoming transfer, before any receipt',
    body: rejectInput,
    example: {
      params: { id: 'b3e6f0c2-1a4d-4c8e-9f2a-5d7c3e1b9a60' },
      body: { reason: 'Not ordered' },
    },
  },
  async (request, ctx, { body: { reason } }): Promise<TransferDetail> => {
    const id = idOf(request)
    return ctx.db.send('transfers.reject', { id, reason })
  }
)
