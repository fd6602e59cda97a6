import { userChange, userName, type UserView } from '../../api/index.ts'
import { defineHandler, validate } from '../../runtime/index.ts'

/**
 * Changes a user's role, or disables them (none of their tokens is accepted after it) or enables
 * them again. The last admin can be neither demoted nor disabled.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: "Changes a user's role, or disables or enables them",
    body: userChange,
    example: { body: { role: 'viewer', disabled: false } },
  },
  async (request, ctx, { body }): Promise<UserView> => {
    const name = validate(userName, request.params.name, 'user name in the path')
    return ctx.db.send('users.update', { name, ...body })
  }
)
