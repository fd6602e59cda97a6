import {
  defineHandler,
  REPLICATION_MESSAGES,
  type HeldReplica,
  type ReplicaHeadAnswer,
} from '../../runtime/index.ts'
import { signer } from '../_shared/peer.ts'

const { message } = REPLICATION_MESSAGES.replicaHead

/**
 * The replicas this node holds of a node, named by its id or by its name: how far each goes,
 * whether it broke, since when it is known complete. A node being restored asks it at the
 * addresses it was given (addressed to any receiver: it knows no id yet); a node verifying its
 * ledger asks its peers what they hold of it (its witnesses). Each says how this node's
 * membership sees the node it replicates. Read-only.
 */
export default defineHandler(
  {
    access: 'peer',
    summary: 'The replicas this node holds of a node, and how far each goes',
    body: message,
    example: { body: { name: 'Sevilla' } },
  },
  async (_request, ctx, { body: { node, name } }): Promise<ReplicaHeadAnswer> => {
    signer(ctx)
    const { replicas } = await ctx.db.send('replicas.list', {})
    const members = new Map(
      ctx.membership.opened ? ctx.membership.snapshot().members.map((m) => [m.id, m]) : []
    )
    const held: HeldReplica[] = replicas
      .filter(
        (r) => (node === undefined || r.nodeId === node) && (name === undefined || r.name === name)
      )
      .map((r) => ({
        nodeId: r.nodeId,
        name: r.name,
        state: r.state,
        reason: r.reason,
        position: r.cursor,
        caughtUpAt: r.caughtUpAt,
        member: members.get(r.nodeId)?.state ?? null,
        memberAddress: members.get(r.nodeId)?.address ?? null,
      }))
    return { name: ctx.node.name, replicas: held }
  }
)
