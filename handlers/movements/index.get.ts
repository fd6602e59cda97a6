import { movementsQuery, type MovementPage } from '../../api/index.ts'
import { withActorNames } from '../_shared/members.ts'
import { defineHandler } from '../../runtime/index.ts'

/** The ledger, newest first unless order=asc; filter by sku, type, and time (from inclusive, to exclusive). */
export default defineHandler(
  {
    access: 'viewer',
    summary: 'The ledger, newest first unless order=asc, filtered by SKU, type and time',
    query: movementsQuery,
    example: { query: { sku: 'BOLT-M8', type: 'receipt', from: '2026-11-01', order: 'asc' } },
  },
  async (_request, ctx, { query }): Promise<MovementPage> => {
    return withActorNames(ctx, await ctx.db.send('movements.list', query))
  }
)
