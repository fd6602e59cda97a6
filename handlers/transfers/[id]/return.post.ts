import { returnInput, type TransferDetail } from '../../../api/index.ts'
import { defineHandler } from '../../../runtime/index.ts'
import { idOf } from '../../_shared/transfers.ts'

/**
 * Books back goods of an outgoing transfer that came back (after a rejection, an accepted cancel,
 * or a receipt that sent some back): all that is due, or the lines given.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Books back goods of an outgoing transfer that came back',
    body: returnInput,
    example: {
      params: { id: 'b3e6f0c2-1a4d-4c8e-9f2a-5d7c3e1b9a60' },
      body: { lines: [{ sku: 'BOLT-M8', quantity: 5 }], note: 'Returned on the next van' },
    },
  },
  async (request, ctx, { body }): Promise<TransferDetail> => {
    const id = idOf(request)
    return ctx.db.send('transfers.return', { id, ...body })
  }
)
