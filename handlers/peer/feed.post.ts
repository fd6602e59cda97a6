import { setTimeout as sleep } from 'node:timers/promises'
import {
  anySignal,
  defineHandler,
  HttpError,
  REPLICATION_MESSAGES,
  samePosition,
} from '../../runtime/index.ts'
import { EXAMPLE_PAGE, feedAnswer, signer } from '../_shared/peer.ts'

const { message } = REPLICATION_MESSAGES.feed

/**
 * A peer that asks while commits it has not seen are waiting, fewer than a page (a stream of
 * writes went on during its last exchange), gets what commits in the next GATHER_MS in the same
 * page: under a steady stream, one exchange per peer every GATHER_MS or so rather than one per
 * commit or two, each a page built in the worker its writes wait behind, signed and sent. A peer
 * waiting at the head is answered at the log's first growth, so a lone write still reaches every
 * live replica at once; and the puller always has a request here, so nothing is left behind a
 * node that leaves (a wait on the puller's side did that: 6b0a5ac).
 */
export const GATHER_MS = 25

/**
 * While the log grows by HEAVY_PER_SECOND events a second or more (this node takes writes about as
 * fast as it can), the gather ends on the next beat of HEAVY_GATHER_MS on the clock: each peer
 * gets about five pages a second of hundreds of rows, rather than one every 90 ms or so, and
 * peers that follow the head mostly ask for the same page together, read once for those that do
 * (ctx.events.pageText; timers run on the loop's clock, a few ms behind Date.now()). Whatever
 * its size, a page costs the node a read in the worker its writes wait behind, and the replica a
 * transaction. With 4 peers on this machine replicating from a
 * node taking receipts at 50 connections (three pairs of runs, each way in turn), the peers spent
 * 76–106 µs of CPU per row replicated against 109–131, and the node took 1,430–1,951 receipts a
 * second against 1,320–1,582; on the beat, its worker spent 0.11–0.13 s in 6 s reading pages
 * against 0.32–0.36 s. A replica is then up to HEAVY_GATHER_MS further behind, while the stream
 * is that heavy: at the 500 writes a second of the lag bench, nothing changes.
 */
export const HEAVY_PER_SECOND = 1000
export const HEAVY_GATHER_MS = 200

/**
 * This node's event log after a position, for a peer's replica of it: a page, with the head.
 * 409 FORKED when the position's ledger row is not this ledger's. When the peer already has
 * everything, the answer waits (up to waitMs) for the log to grow: no polling, and released at
 * once when the node stops; when it is a little behind, the answer gathers (GATHER_MS; under a
 * heavy stream, until the next beat of HEAVY_GATHER_MS). The runtime signs the answer; the
 * puller validates it.
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
  async (request, ctx, { body: { after, limit, maxBytes, waitMs } }): Promise<Response> => {
    ctx.events.asked(signer(ctx), after.events)
    const read = () => ctx.events.pageText({ after, limit, maxBytes })
    // A wait in flight is released when the node stops. Asked after that, a peer still gets what
    // it lacks, at once, so that it holds every row this node committed before it leaves (more
    // than a page may be left when a heavy stream stops); one that has everything is refused, so
    // it backs off instead of asking again at once until the node has closed.
    if (ctx.events.stopping.aborted) {
      const last = await read()
      if (last.events > 0) return feedAnswer(last)
      throw new HttpError('NODE_STOPPING', 'This node is stopping; try again in a few seconds', {
        headers: { 'retry-after': '1' },
      })
    }
    const until = Date.now() + waitMs
    const behind = ctx.events.head() - after.events
    if (behind > 0 && behind < limit) {
      const gathering = anySignal([ctx.events.stopping, request.signal])
      const heavy = ctx.events.perSecond() >= HEAVY_PER_SECOND
      const beat = HEAVY_GATHER_MS - (Date.now() % HEAVY_GATHER_MS)
      await sleep(heavy ? beat : GATHER_MS, undefined, { signal: gathering.signal })
        .catch(() => undefined) // ended early: the node stops, or the peer went away
        .finally(gathering.release)
    }
    // Exactly at the head this node knows, its log's and its ledger's last row: a read now would
    // find nothing (and nothing forked: that row is this ledger's), so the first read waits for
    // the log to grow. A position anywhere else is read at once.
    const head = ctx.events.position()
    let page = head && samePosition(after, head) ? undefined : await read()
    for (;;) {
      const left = until - Date.now()
      if (page && (page.events > 0 || left <= 0 || ctx.events.stopping.aborted))
        return feedAnswer(page)
      if (left > 0) {
        const timeout = new AbortController()
        const timer = setTimeout(() => timeout.abort(), left)
        const waiting = anySignal([timeout.signal, ctx.events.stopping, request.signal])
        await ctx.events.next(after.events, waiting.signal).finally(waiting.release)
        clearTimeout(timer)
      }
      if (request.signal.aborted) {
        // The peer went away: nobody reads this. A page read already goes as it is, and none is
        // read for nobody (its puller asks again, from its cursor).
        if (page) return feedAnswer(page)
        throw new HttpError('CLIENT_CLOSED', 'The peer went away while its feed waited')
      }
      page = await read()
    }
  }
)
