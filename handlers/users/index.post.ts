import { userInput, type UserView } from '../../api/index.ts'
import { created, defineHandler } from '../../runtime/index.ts'

/** Adds a user with a role: 201. They can do nothing until an admin makes them a token. */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Adds a user with a role (201); a token is made for them with POST /tokens',
    body: userInput,
    example: { body: { name: 'ana', role: 'operator' } },
  },
  async (_request, ctx, { body }) => {
    const user = await ctx.db.send('users.create', body)
    return created<UserView>(user, `/users/${user.name}`)
  }
)
