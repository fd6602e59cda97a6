import type { TransferDetail } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'
import { idOf } from '../_shared/transfers.ts'

/** One transfer as this warehouse knows it: its lines, its messages and their delivery, its receipts. */
export default defineHandler(
  {
    access: 'viewer',
    summary: 'One transfer: its lines, its messages and their delivery, its receipts',
  },
  async (request, ctx): Promise<TransferDetail> => {
    return ctx.db.send('transfers.get', { id: idOf(request) })
  }
)
