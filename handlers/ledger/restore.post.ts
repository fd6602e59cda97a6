import { restoreInput, type RestoreReport } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/**
 * Rebuilds this node's ledger from its peers' replicas: only on a node that holds no movement or
 * item (409 otherwise, nothing changed). The node leaves the network, answers 503 RESTORING
 * meanwhile, verifies the whole restored ledger, takes the restored node's id and joins again;
 * the answer is the report GET /ledger/restore keeps.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: "Rebuilds this (empty) node's ledger from its peers' replicas",
    keyless: 'a node restored, or being restored, says so when asked again',
    body: restoreInput,
    example: { body: { nodeId: '6f1c2a5e-7d7b-4f0e-9a43-2b8f1e0c9d11' } },
  },
  async (_request, ctx, { body: { nodeId } }): Promise<RestoreReport> => {
    return (await ctx.restore(nodeId)) as RestoreReport
  }
)
