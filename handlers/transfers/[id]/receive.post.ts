import { receiveInput, type TransferDetail } from '../../../api/index.ts'
import { defineHandler, HttpError, type Ctx } from '../../../runtime/index.ts'
import { memberNames } from '../../_shared/members.ts'
import { replicaView } from '../../_shared/replica-view.ts'
import { idOf, member, type Warehouse } from '../../_shared/transfers.ts'

/**
 * A receipt before the dispatch (an id this node has no record of) takes the delivery note on
 * trust, unless the sender's ledger is here, up to date, and does not show the transfer leaving:
 * then the id or the sender is wrong, and goods booked against it would be stock from nowhere
 * (the sender refuses the receipt, and what was issued of it could never be undone). While the
 * sender cannot be reached, or its replica is behind, the note is still taken on trust.
 */
async function refuseUnknownToLiveSender(ctx: Ctx, id: string, named: Warehouse | undefined) {
  const { here, sentBy, onTrustFrom } = await ctx.db.send('transfers.known', { id })
  if (here || sentBy !== null) return
  // The sender named, or the one the receipts taken on trust named (a later receipt may leave
  // `from` out): none, and the worker asks for it.
  const sender =
    named ??
    (onTrustFrom
      ? { id: onTrustFrom, name: memberNames(ctx).get(onTrustFrom) ?? onTrustFrom }
      : undefined)
  if (!sender) return
  const stored = await ctx.db.send('replicas.get', { nodeId: sender.id }).catch((err) => {
    if ((err as { code?: string }).code === 'NOT_FOUND') return undefined
    throw err
  })
  // Followed now, its last exchange fine, its last page holding everything: a replica this node
  // has not followed since it started stays `live` in the database, however long ago that was.
  const peer = ctx.replication.peers().find((p) => p.nodeId === sender.id)
  if (!peer || !peer.following || peer.failing || !peer.upToDate) return
  const view = replicaView(stored, peer)
  if (view.state !== 'live') return
  const asOf = view.asOf ? `, up to date as of ${view.asOf}` : ''
  throw new HttpError(
    'VALIDATION_FAILED',
    `${sender.name}'s ledger, replicated here (row #${view.cursor.ledger.seq}${asOf}), shows no transfer ${id} leaving: check the transfer id and the sender on the delivery note`,
    { details: [{ path: 'id', message: `is not a transfer ${sender.name} has sent` }] }
  )
}

/**
 * Records a receipt of a transfer at the receiving warehouse: what arrived enters on hand
 * (transfer_in rows), damaged and short go back to the sender with their disposition. Accepted
 * before the dispatch message has arrived, given `from` (the sender), which this node's replica
 * of the sender can tell instead (and then checks); refused when that replica is live and does
 * not show the transfer. A receipt id makes a
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
    await refuseUnknownToLiveSender(ctx, id, sender)
    return ctx.db.send('transfers.receive', {
      id,
      ...(sender ? { from: sender.id, fromName: sender.name } : {}),
      ...input,
    })
  }
)
