import { movementsQuery, type MovementPage } from '../../../api/index.ts'
import { replicaNode, withActorNames } from '../../_shared/members.ts'
import { defineHandler } from '../../../runtime/index.ts'

/** A peer's ledger as this node's replica holds it: the filters and paging of GET /movements. */
export default defineHandler(
  {
    access: 'viewer',
    summary: "A peer's ledger as this node's replica holds it (filters of GET /movements)",
    query: movementsQuery,
    example: {
      params: { nodeId: '6f1c2a5e-7d7b-4f0e-9a43-2b8f1e0c9d11' },
      query: { sku: 'BOLT-M8' },
    },
  },
  async (request, ctx, { query }): Promise<MovementPage> => {
    const nodeId = replicaNode(ctx, request.params.nodeId)
    return withActorNames(ctx, await ctx.db.send('replicas.movements', { nodeId, ...query }))
  }
)
