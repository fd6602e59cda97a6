import { defineHandler, json } from '../runtime/index.ts'

/** Liveness: the HTTP side answers, and the database worker answers a ping within a second. */
export default defineHandler(async (_request, ctx) => {
  const started = performance.now()
  try {
    await ctx.db.send('node.ping', {}, { timeoutMs: 1000 })
  } catch (err) {
    const reason = (err as Error).message
    return json({ status: 'unavailable', worker: { ok: false, error: reason } }, 503, {
      'retry-after': '1',
    })
  }
  const ms = Math.round((performance.now() - started) * 100) / 100
  return { status: 'ok', worker: { ok: true, ms } }
})
