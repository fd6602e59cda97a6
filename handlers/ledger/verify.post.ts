import { defineHandler } from '../../runtime/index.ts'

/** Replays the whole ledger against the hash chain and every balance; reports each difference. */
export default defineHandler(async (_request, ctx) => {
  return ctx.db.send('ledger.verify', {}, { timeoutMs: 120_000 })
})
