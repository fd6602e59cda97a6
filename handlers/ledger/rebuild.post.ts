import { defineHandler } from '../../runtime/index.ts'

/** Recomputes every balance from the ledger and reports the ones that changed. */
export default defineHandler(async (_request, ctx) => {
  return ctx.db.send('ledger.rebuild', {}, { timeoutMs: 120_000 })
})
