import { tokenId, type TokenView } from '../../../api/index.ts'
import { defineHandler, validate } from '../../../runtime/index.ts'

/** Revokes a token for good: the next request that carries it is refused (401). */
export default defineHandler(
  { access: 'admin', summary: 'Revokes an API token for good' },
  async (request, ctx): Promise<TokenView> => {
    const id = validate(tokenId, request.params.id, 'token id in the path')
    return ctx.db.send('tokens.revoke', { id })
  }
)
