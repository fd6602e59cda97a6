import { defineHandler, readQuery, z } from '../../runtime/index.ts'
import { paging, sku } from '../_shared/schemas.ts'

// Only unambiguous instants: a date (UTC midnight) or a date-time with Z or an offset. Date.parse
// would also take "hello 1" (as 2001), roll 2026-02-30 into March, and read a time without a zone
// in the server's own zone.
const instant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'must be a date such as 2026-11-22 or a time with its zone such as 2026-11-22T10:00:00Z',
  })
  .transform((s) => new Date(s).toISOString())

const query = z
  .strictObject({
    sku: sku.optional(),
    type: z
      .enum(['receipt', 'issue', 'adjustment'], { error: 'must be receipt, issue or adjustment' })
      .optional(),
    from: instant.optional(),
    to: instant.optional(),
    order: z.enum(['asc', 'desc'], { error: 'must be asc or desc' }).optional(),
    ...paging,
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, {
    error: 'must not be later than to',
    path: ['from'],
  })

/** The ledger, newest first unless order=asc; filter by sku, type, and time (from inclusive, to exclusive). */
export default defineHandler(async (request, ctx) => {
  return ctx.db.send('movements.list', readQuery(request, query))
})
