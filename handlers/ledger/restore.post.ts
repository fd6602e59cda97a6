import { restoreInput, type RestoreReport } from '../../api/index.ts'
import { defineHandler, readJson } from '../../runtime/index.ts'

/**
 * Rebuilds this node's ledger from its peers' replicas: only on a node that holds no movement or
 * item (409 otherwise, nothing changed). The node leaves the network, answers 503 RESTORING
 * meanwhile, verifies the whole restored ledger, takes the restored node's id and joins again;
 * the answer is the report GET /ledger/restore keeps.
 */
export default defineHandler({ access: 'public' }, async (request, ctx): Promise<RestoreReport> => {
  const { nodeId } = await readJson(request, restoreInput)
  return (await ctx.restore(nodeId)) as RestoreReport
})
