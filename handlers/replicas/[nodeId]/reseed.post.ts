import type { ReplicaReseed } from '../../../api/index.ts'
import { defineHandler, HttpError } from '../../../runtime/index.ts'
import { replicaNode } from '../../_shared/members.ts'

/**
 * Drops this node's broken replica of a peer whole and follows the peer afresh from the start of
 * its log: for a replica its owner's ledger parted from for good (forked, after a rollback its
 * admin accepted), which no mend can bring back, or one this node's disk broke. Not for a replica
 * that broke because the owner's disk was rewritten: that one holds the true ledger (a restore
 * may need it). Refused while the owner is not alive, and for a replica not broken. What it held
 * is gone from this node; the owner's ledger, pulled again, is checked row by row as ever.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: "Drops a peer's replica and follows the peer afresh from the start of its log",
  },
  async (request, ctx): Promise<ReplicaReseed> => {
    // A warehouse's name (in any case) stands for its id, as a transfer's `to` does.
    const nodeId = replicaNode(ctx, request.params.nodeId)
    const { members } = ctx.membership.snapshot()
    // A replica this node does not hold is 404, whatever membership says of the id.
    await ctx.db.send('replicas.get', { nodeId })
    // Only with its owner there to pull from: until then the replica is this node's only copy
    // of that warehouse's ledger (and its figures while the warehouse is away).
    const owner = members.find((m) => m.id === nodeId)
    if (owner?.state !== 'alive') {
      const who = owner?.name || nodeId
      throw new HttpError(
        'CONFLICT',
        `${who} is ${owner ? owner.state : 'not a member'}: this replica is this node's only copy of its ledger; reseed it once ${who} is alive`,
        { details: [{ path: 'nodeId', message: 'is not alive to pull from' }] }
      )
    }
    const { dropped } = await ctx.db.send('replicas.reseed', { nodeId })
    ctx.replication.refollow(nodeId)
    const { was } = dropped
    return {
      nodeId,
      dropped: { events: dropped.events, movements: dropped.movements },
      was: { state: was.state, reason: was.reason, cursor: was.cursor },
    }
  }
)
