import {
  defineHandler,
  HttpError,
  REPLICATION_MESSAGES,
  type FeedAnswer,
} from '../../runtime/index.ts'
import { EXAMPLE_PAGE, signer } from '../_shared/peer.ts'

const { message } = REPLICATION_MESSAGES.feed

/**
 * This node's event log after a position, for a peer's replica of it: a page, with the head.
 * 409 FORKED when the position's ledger row is not this ledger's. When the peer already has
 * everything, the answer waits (up to waitMs) for the log to grow: no polling, and released at
 * once when the node stops. The runtime signs the answer; the puller validates it.
 */
export default defineHandler(
  {
    access: 'peer',
    summary: "This node's event log after a position, for a peer's replica",
    body: message,
    example: {
      body: {
        ...EXAMPLE_PAGE,
        waitMs: 10000,
      },
    },
  },
  async (request, ctx, { body: { after, limit, maxBytes, waitMs } }): Promise<FeedAnswer> => {
    signer(ctx)
    // A wait in flight is released when the node stops; one asked after that is refused, so the
    // peer backs off instead of asking again at once until the node has closed.
    if (ctx.events.stopping.aborted) {
      throw new HttpError('NODE_STOPPING', 'This node is stopping; try again in a few seconds', {
        headers: { 'retry-after': '1' },
      })
    }
    const until = Date.now() + waitMs
    for (;;) {
      const page = await ctx.db.send('events.feed', { after, limit, maxBytes })
      const left = until - Date.now()
      if (page.events.length > 0 || left <= 0 || ctx.events.stopping.aborted) return page
      const timeout = new AbortController()
      const timer = setTimeout(() => timeout.abort(), left)
      await ctx.events.next(
        after.events,
        AbortSignal.any([timeout.signal, ctx.events.stopping, request.signal])
      )
      clearTimeout(timer)
      if (request.signal.aborted) return page // the peer went away: nobody reads this
    }
  }
)
