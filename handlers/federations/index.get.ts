import { defineHandler } from '../../runtime/index.ts'

/** The topics this node carries to peer warehouses, and to which. */
export default defineHandler(
  { access: 'viewer', summary: 'The topics carried to peer warehouses' },
  async (_request, ctx) => ctx.db.send('federations.list', {})
)
