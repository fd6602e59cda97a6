import {
  defineHandler,
  readJson,
  REPLICATION_MESSAGES,
  type FeedAnswer,
} from '../../runtime/index.ts'
import { signer } from '../_shared/peer.ts'

const { message } = REPLICATION_MESSAGES.replicaFeed

/**
 * A node's log as this node's replica holds it, after a position: what a node being restored
 * pulls (its rows chain, so any holder may serve them; the restoring node checks every page).
 * 409 FORKED when the position is not in the replica, 404 without a replica of that node.
 */
export default defineHandler({ access: 'peer' }, async (request, ctx): Promise<FeedAnswer> => {
  signer(ctx)
  const { node, after, limit, maxBytes } = await readJson(request, message)
  return ctx.db.send('replicas.feed', { nodeId: node, after, limit, maxBytes })
})
