import type { NodeInfo } from '../api/index.ts'
import { defineHandler } from '../runtime/index.ts'

/** Identity: who this node is, how long it has run, and what its database holds. */
export default defineHandler(
  { access: 'viewer', summary: 'Who this node is, its uptime and what its database holds' },
  async (_request, ctx): Promise<NodeInfo> => {
    const info = await ctx.db.send('node.info', {})
    const { id, name, version, startedAt } = ctx.node
    return {
      id,
      name,
      version,
      startedAt,
      uptimeSeconds: Math.round((Date.now() - Date.parse(startedAt)) / 1000),
      counts: info.counts,
      database: info.database,
    }
  }
)
