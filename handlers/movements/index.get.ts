import { defineHandler, readQuery, z } from '../../runtime/index.ts'
import { paging, sku } from '../_shared/schemas.ts'

const instant = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { error: 'must be a date or time such as 2026-11-22T10:00:00Z' })
  .transform((s) => new Date(s).toISOString())

const query = z.strictObject({
  sku: sku.optional(),
  type: z.enum(['receipt', 'issue', 'adjustment'], { error: 'must be receipt, issue or adjustment' }).optional(),
  from: instant.optional(),
  to: instant.optional(),
  order: z.enum(['asc', 'desc'], { error: 'must be asc or desc' }).optional(),
  ...paging,
})

/** The ledger, newest first unless order=asc; filter by sku, type, and time (from inclusive, to exclusive). */
export default defineHandler(async (request, ctx) => {
  return ctx.db.send('movements.list', readQuery(request, query))
})
