import { tokensQuery, type TokenView } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/** The tokens issued here (of one user with ?user=), revoked ones too; never their secrets. */
export default defineHandler(
  {
    access: 'admin',
    summary: 'The API tokens issued here, revoked ones too; never their secrets',
    query: tokensQuery,
    example: { query: { user: 'ana' } },
  },
  async (_request, ctx, { query }): Promise<{ tokens: TokenView[] }> =>
    ctx.db.send('tokens.list', query)
)
