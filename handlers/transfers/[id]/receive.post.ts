import { receiveInput, UUID, type TransferDetail } from '../../../api/index.ts'
import { defineHandler, HttpError, type Ctx } from '../../../runtime/index.ts'
import { memberNames } from '../../_shared/members.ts'
import { idOf, member, type Warehouse } from '../../_shared/transfers.ts'

/** How long a receipt of an id unknown here waits for the sender's word before taking it on trust. */
export const ASK_SENDER_MS = 1500

/**
 * A receipt before the dispatch (an id this node has no record of, nor its replica of the sender)
 * asks the sender named: one that says it sent no such transfer here means the id or the sender
 * is wrong, and goods booked against it would be stock from nowhere (the sender refuses the
 * receipt, and what was issued of it could never be undone). A sender failed, left, cut off or
 * silent past ASK_SENDER_MS leaves the delivery note taken on trust, as the truck beat the
 * network. Its replica here is not asked instead: up to date a moment ago, it may not be now (a
 * sender frozen, a transfer made since).
 */
async function refuseUnknownToSender(ctx: Ctx, id: string, named: Warehouse | undefined) {
  const { here, sentBy, onTrustFrom } = await ctx.db.send('transfers.known', { id })
  if (here || sentBy !== null) return
  // The sender named, or the one the receipts taken on trust named (a later receipt may leave
  // `from` out): none, and the worker asks for it.
  const sender =
    named ??
    (onTrustFrom
      ? { id: onTrustFrom, name: memberNames(ctx).get(onTrustFrom) ?? onTrustFrom }
      : undefined)
  // An id no sender makes (not a UUID) is refused by the worker, at once: no sender is asked.
  if (!sender || !UUID.test(id)) return
  if ((await ctx.peers.transferSent(sender.id, id, ASK_SENDER_MS)) !== false) return
  throw new HttpError(
    'VALIDATION_FAILED',
    `${sender.name} says it sent no transfer ${id} to this warehouse: check the transfer id and the sender on the delivery note`,
    { details: [{ path: 'id', message: `is not a transfer ${sender.name} has sent here` }] }
  )
}

/**
 * Records a receipt of a transfer at the receiving warehouse: what arrived enters on hand
 * (transfer_in rows), damaged and short go back to the sender with their disposition. Accepted
 * before the dispatch message has arrived, given `from` (the sender), which this node's replica
 * of the sender can tell instead; refused when the sender, asked, says it sent no such transfer
 * here. A receipt id makes a
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
  async (request, ctx, { body: { from, lines, ...input } }): Promise<TransferDetail> => {
    const id = idOf(request)
    const sender = from === undefined ? undefined : member(ctx, from, 'from')
    await refuseUnknownToSender(ctx, id, sender)
    return ctx.db.send('transfers.receive', {
      id,
      ...(sender ? { from: sender.id, fromName: sender.name } : {}),
      lines: lines.length > 0 ? lines : await nothingMore(ctx, id),
      ...input,
    })
  }
)

/**
 * A final receipt that lists nothing, as the worker takes it: each SKU of the transfer known here,
 * none of it received. Unknown here (no dispatch, no receipt yet), it has nothing to close.
 */
async function nothingMore(ctx: Ctx, id: string) {
  const known = await ctx.db.send('transfers.get', { id }).catch((err: unknown) => {
    if (err instanceof HttpError && err.status === 404) return undefined
    throw err
  })
  if (!known || known.lines.length === 0) {
    throw new HttpError(
      'VALIDATION_FAILED',
      `Transfer ${id} is not known here yet: a receipt before its dispatch lists what arrived`,
      {
        details: [
          { path: 'lines', message: 'must list what arrived: the transfer is not known here' },
        ],
      }
    )
  }
  return known.lines.map(({ sku }) => ({ sku, received: 0 }))
}
