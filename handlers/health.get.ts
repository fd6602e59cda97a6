import type { Health } from '../api/index.ts'
import { defineHandler, json } from '../runtime/index.ts'

/**
 * Liveness: the HTTP side answers, and the database worker answers within a second, with the
 * ledger's state: writes refused since start (and why), writes failing on a full disk, and the
 * verify running, if any. A node whose ledger is halted, or whose disk is full, still serves
 * reads: 200, status "degraded".
 */
export default defineHandler(
  { access: 'public', summary: 'Liveness: the node, its database worker and its ledger' },
  async (_request, ctx) => {
    const started = performance.now()
    let ledger
    try {
      ledger = await ctx.db.send('ledger.status', {}, { timeoutMs: 1000 })
    } catch (err) {
      const reason = (err as Error).message
      const unavailable: Health = { status: 'unavailable', worker: { ok: false, error: reason } }
      return json(unavailable, 503, { 'retry-after': '1' })
    }
    const ms = Math.round((performance.now() - started) * 100) / 100
    const status = ledger.writes === 'refused' || ledger.diskFull ? 'degraded' : 'ok'
    return { status, worker: { ok: true, ms }, ledger } satisfies Health
  }
)
