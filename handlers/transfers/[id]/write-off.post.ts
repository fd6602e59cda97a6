import { writeOffInput, type TransferDetail } from '../../../api/index.ts'
import { defineHandler } from '../../../runtime/index.ts'
import { idOf } from '../../_shared/transfers.ts'

/**
 * Writes off goods of an outgoing transfer that a receipt marked to come back and that will not
 * (missing ones, or damaged ones lost on the way back): all that is due, or the lines given. They
 * leave the transit figures, and the transfer closes once nothing more is due back.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Writes off goods due back to this warehouse that will not come back',
    body: writeOffInput,
    example: {
      params: { id: 'b3e6f0c2-1a4d-4c8e-9f2a-5d7c3e1b9a60' },
      body: { lines: [{ sku: 'BOLT-M8', quantity: 2 }], note: 'Not found at the dock' },
    },
  },
  async (request, ctx, { body }): Promise<TransferDetail> => {
    const id = idOf(request)
    return ctx.db.send('transfers.writeOff', { id, ...body })
  }
)
