import type { Backup } from '../api/index.ts'
import { created, defineHandler } from '../runtime/index.ts'

/**
 * Takes a backup of the node's database while it goes on serving: a consistent copy (the database
 * as of one commit) written into its data directory's backups/ folder under a name the node
 * chooses. Answers once the copy is finished, with its name, size and ledger head; 409 while
 * another backup is being taken.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: "Takes a consistent backup of the node's database while it serves",
    keyless: 'each request takes a new copy; unsure whether one was taken? GET /backups',
  },
  async (_request, ctx) => {
    const backup: Backup = await ctx.backups.take()
    return created(backup, `/backups/${backup.name}`)
  }
)
