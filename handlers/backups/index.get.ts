import type { Backup } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/** The finished backups in the node's backups/ folder, newest first. */
export default defineHandler(
  { access: 'admin', summary: "The backups in the node's backups folder, newest first" },
  async (_request, ctx): Promise<{ backups: Backup[] }> => ({ backups: await ctx.backups.list() })
)
