import type { Me } from '../api/index.ts'
import { defineHandler } from '../runtime/index.ts'

/** Who the request's token belongs to, and its role: what a client shows and hides by. */
export default defineHandler(
  { access: 'viewer', summary: 'Whose API token this is, and its role' },
  async (_request, ctx): Promise<Me> => {
    const { name, role, tokenId } = ctx.user!
    return { user: name, role, tokenId }
  }
)
