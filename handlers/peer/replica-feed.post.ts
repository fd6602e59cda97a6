import { defineHandler, REPLICATION_MESSAGES } from '../../runtime/index.ts'
import { EXAMPLE_PAGE, feedAnswer, signer } from '../_shared/peer.ts'

const { message } = REPLICATION_MESSAGES.replicaFeed

/**
 * A node's log as this node's replica holds it, after a position: what a node being restored
 * pulls (its rows chain, so any holder may serve them; the restoring node checks every page).
 * 409 FORKED when the position is not in the replica, 404 without a replica of that node.
 */
export default defineHandler(
  {
    access: 'peer',
    summary: "A node's log as this node's replica holds it",
    body: message,
    example: {
      body: {
        node: '0b9d4e7a-2c61-4f3b-8e15-7a4c9d2f6b30',
        ...EXAMPLE_PAGE,
      },
    },
  },
  async (_request, ctx, { body: { node, after, limit, maxBytes } }): Promise<Response> => {
    signer(ctx)
    return feedAnswer(
      await ctx.db.send('replicas.feedText', { nodeId: node, after, limit, maxBytes })
    )
  }
)
