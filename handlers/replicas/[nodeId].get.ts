import type { ReplicaView } from '../../api/index.ts'
import { defineHandler, HttpError } from '../../runtime/index.ts'
import { replicaNode } from '../_shared/members.ts'
import { replicaViews } from '../_shared/replica-view.ts'

/** One peer's replica here (404 when this node neither holds nor follows one). */
export default defineHandler(
  { access: 'viewer', summary: "One peer's replica on this node" },
  async (request, ctx): Promise<ReplicaView> => {
    const nodeId = replicaNode(ctx, request.params.nodeId)
    const found = (await replicaViews(ctx)).find((r) => r.nodeId === nodeId)
    if (!found) throw new HttpError('NOT_FOUND', `This node holds no replica of node ${nodeId}`)
    return found
  }
)
