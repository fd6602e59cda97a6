import { movementsQuery, type MovementPage } from '../../api/index.ts'
import { defineHandler, readQuery } from '../../runtime/index.ts'

/** The ledger, newest first unless order=asc; filter by sku, type, and time (from inclusive, to exclusive). */
export default defineHandler({ access: 'public' }, async (request, ctx): Promise<MovementPage> => {
  return ctx.db.send('movements.list', readQuery(request, movementsQuery))
})
