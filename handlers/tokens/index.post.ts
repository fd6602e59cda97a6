import { tokenInput, type IssuedToken } from '../../api/index.ts'
import { created, defineHandler, newToken } from '../../runtime/index.ts'

/**
 * Makes an API token for a user: 201 with the token, the only time it is shown (the node keeps
 * its hash). It takes no Idempotency-Key: a replay could not show the secret again. Unsure
 * whether a token was made? List them, and revoke the one nobody holds.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Makes an API token for a user (201): the token is shown this once',
    body: tokenInput,
    example: { body: { user: 'ana', name: 'scanner 3', expiresAt: '2099-06-30T00:00:00Z' } },
    keyless: 'a token is shown once, and a replay could not show it again',
  },
  async (_request, ctx, { body }) => {
    const { token, hash, id } = newToken()
    const made = await ctx.db.send('tokens.create', {
      id,
      user: body.user,
      name: body.name,
      hash,
      expiresAt: body.expiresAt ?? null,
    })
    return created<IssuedToken>({ ...made, token }, `/tokens/${id}`)
  }
)
