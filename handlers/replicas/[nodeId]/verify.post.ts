import type { LedgerCheck } from '../../../api/index.ts'
import { defineHandler } from '../../../runtime/index.ts'
import { replicaNode } from '../../_shared/members.ts'

const CHAIN = new Set(['hash', 'chain', 'gap', 'head'])

/**
 * Checks a replica as a ledger verify checks the node's own: every row's hash and link, the
 * running balances, the cursor, the balances. A broken chain (a row changed or removed on this
 * node's disk) breaks the replica: nothing more is built on it.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: "Checks a peer's replica as a ledger verify checks the node's own",
  },
  async (request, ctx): Promise<LedgerCheck> => {
    const nodeId = replicaNode(ctx, request.params.nodeId)
    const check = await ctx.db.send('replicas.verify', { nodeId })
    const broken = check.differences.find((d) => CHAIN.has(d.kind))
    if (broken) {
      const message = `verify found the replica's ${broken.message} on this node's disk`
      await ctx.db.send('replicas.break', { nodeId, reason: 'chain_broken', message })
    }
    return check
  }
)
