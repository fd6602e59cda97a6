import type { LaneList, LaneView } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/**
 * Each peer's transfer lane: the messages waiting in the outbox for it (counted now) and how the
 * relay fares carrying them (delivered since start, failures in a row, the last error). A peer
 * with messages waiting and no lane yet (the relay has not started it) shows them too.
 */
export default defineHandler(
  { access: 'viewer', summary: "Each peer's transfer lane: messages waiting, delivered, failures" },
  async (_request, ctx): Promise<LaneList> => {
    const { outbox } = await ctx.db.send('outbox.depth', {})
    const waiting = new Map(outbox.map(({ peer, pending }) => [peer, pending]))
    const names = new Map(ctx.membership.snapshot().members.map((m) => [m.id, m.name]))
    const lanes: LaneView[] = ctx.relay.peers().map((lane) => ({
      ...lane,
      pending: waiting.get(lane.peer) ?? 0,
    }))
    for (const [peer, pending] of waiting) {
      if (lanes.some((lane) => lane.peer === peer)) continue
      const name = names.get(peer) ?? ''
      lanes.push({
        peer,
        name,
        pending,
        delivered: 0,
        refused: 0,
        failures: 0,
        lastError: null,
        nextAttemptAt: null,
      })
    }
    return { lanes }
  }
)
