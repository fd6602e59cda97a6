import type { UserView } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/** This node's users, by name, with their roles; disabled ones too (with when). */
export default defineHandler(
  { access: 'admin', summary: "This node's users and their roles" },
  async (_request, ctx): Promise<{ users: UserView[] }> => ctx.db.send('users.list', {})
)
