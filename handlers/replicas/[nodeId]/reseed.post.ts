import { nodeIdParam, type ReplicaReseed } from '../../../api/index.ts'
import { defineHandler, validate } from '../../../runtime/index.ts'

/**
 * Drops this node's replica of a peer whole and follows the peer afresh from the start of its
 * log: for a replica its owner's ledger parted from for good (broken, forked, after a rollback
 * its admin accepted), which no mend can bring back. What it held is gone from this node; the
 * owner's ledger, pulled again, is checked row by row as ever.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: "Drops a peer's replica and follows the peer afresh from the start of its log",
  },
  async (request, ctx): Promise<ReplicaReseed> => {
    const nodeId = validate(nodeIdParam, request.params.nodeId, 'node id in the path')
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
