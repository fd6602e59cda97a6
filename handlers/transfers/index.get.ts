import { transfersQuery, type TransferPage } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/** The transfers out of and into this warehouse, newest first: by direction, state, peer, SKU. */
export default defineHandler(
  {
    access: 'viewer',
    summary: 'The transfers out of and into this warehouse, newest first',
    query: transfersQuery,
    example: { query: { direction: 'out', state: 'in_transit', sku: 'BOLT-M8' } },
  },
  async (_request, ctx, { query }): Promise<TransferPage> => {
    return ctx.db.send('transfers.list', query)
  }
)
