import { movementsQuery, nodeIdParam, type MovementPage } from '../../../api/index.ts'
import { defineHandler, readQuery, validate } from '../../../runtime/index.ts'

/** A peer's ledger as this node's replica holds it: the filters and paging of GET /movements. */
export default defineHandler({ access: 'public' }, async (request, ctx): Promise<MovementPage> => {
  const nodeId = validate(nodeIdParam, request.params.nodeId, 'node id in the path')
  return ctx.db.send('replicas.movements', { nodeId, ...readQuery(request, movementsQuery) })
})
