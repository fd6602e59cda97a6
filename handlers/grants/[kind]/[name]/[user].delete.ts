import { grantTarget } from '../../../../api/index.ts'
import { defineHandler, validate } from '../../../../runtime/index.ts'

/** Takes a user's grant on a queue or topic away; with none left, the roles decide again. */
export default defineHandler(
  { access: 'admin', summary: "Takes a user's grant on a queue or topic away" },
  async (request, ctx) => {
    const { kind, name, user } = validate(grantTarget, request.params, 'path')
    return ctx.db.send('grants.delete', { kind, name, user })
  }
)
