import type { KeyringReport } from '../../api/index.ts'
import { defineHandler, httpErrorOf } from '../../runtime/index.ts'

/**
 * The network's cluster keys, by id: every live member is asked for its own, so the answer says
 * how many members hold each key and how many sign with it (serf's `keys -list`), and which
 * members could not be asked.
 */
export default defineHandler(
  { access: 'admin', summary: 'The cluster keys of every live member, by id' },
  async (_request, ctx): Promise<KeyringReport> => {
    try {
      return await ctx.keys.report()
    } catch (err) {
      throw httpErrorOf(err)
    }
  }
)
