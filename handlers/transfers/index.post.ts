import { transferInput, type Transfer } from '../../api/index.ts'
import { created, defineHandler } from '../../runtime/index.ts'
import { member } from '../_shared/transfers.ts'

/**
 * Sends goods to another warehouse: in one transaction they leave on hand (a transfer_out row per
 * line), the transfer is in transit and its dispatch message waits in the outbox for the relay,
 * the destination being up or not. 201 with the transfer.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Sends goods to another warehouse (201)',
    body: transferInput,
    example: {
      body: { to: 'Sevilla', lines: [{ sku: 'BOLT-M8', quantity: 100 }], reference: 'TR-9' },
    },
  },
  async (_request, ctx, { body: input }) => {
    const to = member(ctx, input.to, 'to')
    const transfer = await ctx.db.send('transfers.create', {
      to: to.id,
      toName: to.name,
      lines: input.lines,
      reference: input.reference,
      note: input.note,
    })
    return created<Transfer>(transfer, `/transfers/${encodeURIComponent(transfer.id)}`)
  }
)
