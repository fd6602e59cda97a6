import { queueReceiveInput, type QueueReceived } from '../../../api/index.ts'
import { defineHandler } from '../../../runtime/index.ts'
import { queueOf } from '../../_shared/queues.ts'

/**
 * Up to `max` messages, in publish order (redeliveries aside), each hidden from other consumers
 * until acknowledged or its visibility timeout passes. With `waitMs`, waits that long for one
 * (a long poll); the wait only reads, and takes when a publish brings something, or at its end.
 * With `ack`, those receipts are acknowledged and the messages ready taken in one write, at once (no
 * wait: a consumer that gets none asks again without `ack`). A topic's subscription is a queue,
 * filled by publishes to its topics and by the node's events.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Receives messages from a queue, waiting for them up to waitMs',
    body: queueReceiveInput,
    example: { body: { max: 10, waitMs: 5000 } },
  },
  async (request, ctx, { body: { max, waitMs, visibilityMs, ack } }): Promise<QueueReceived> => {
    const queue = queueOf(request)
    // Acks first, then the take, in one write and at once: the acks must not wait for a message
    // to come (they would outlive their visibility timeout), and a request makes one write.
    if (ack) {
      const { acked, messages } = await ctx.db.send('queues.ackAndReceive', {
        queue,
        receipts: ack,
        max,
        visibilityMs,
      })
      return { messages, acked }
    }
    const until = Date.now() + waitMs
    // No wait: one call to the worker. (A wait peeks first: a request makes one write, so the
    // write comes once there is something to take, or the wait is over.)
    if (waitMs === 0) return ctx.db.send('queues.receive', { queue, max, visibilityMs })
    // A consumer that goes away while it waits (closed, timed out, cut off) takes nothing: what
    // the wait took would stay hidden from every other consumer for its visibility timeout.
    const gone = request.signal
    const keyed = request.headers.get('idempotency-key') !== null
    // A take made already, which found nothing: the next is the same write again (Db.send).
    let again = false
    const take = async () => {
      const took = await ctx.db.send('queues.receive', { queue, max, visibilityMs }, { again })
      again = true
      return took
    }
    // Nothing taken by a take, yet: the wait goes on, unless it is over, or the request has an
    // Idempotency-Key (which covers one take, the first).
    const done = (took: QueueReceived) =>
      took.messages.length > 0 || keyed || Date.now() >= until || ctx.events.stopping.aborted
    for (;;) {
      // Where the publishes and the log stand before looking: one that lands while the peek is
      // on its way wakes the wait at once, instead of being missed until the wait ends.
      const published = ctx.queues.version(queue)
      const head = ctx.events.head()
      const { ready, nextVisibleAt } = await ctx.db.send('queues.peek', { queue })
      if (gone.aborted) return { messages: [] } // nobody reads this answer
      if (ready || Date.now() >= until || ctx.events.stopping.aborted) {
        await ctx.stillAdmitted() // the peeks may have waited
        // Something is there to take (a message published before, or visible again): another
        // consumer may take it first, and then this one waits on rather than answering nothing.
        const took = await take()
        if (done(took)) return took
        continue
      }
      // A publish here, or an event of the log (a subscription's queue is filled with its events).
      const woken = new AbortController()
      const stop = () => woken.abort()
      ctx.events.stopping.addEventListener('abort', stop, { once: true })
      gone.addEventListener('abort', stop, { once: true })
      const why = await Promise.race([
        ctx.queues.next(queue, Math.min(until, nextVisibleAt ?? until), woken.signal, published),
        ctx.events.next(head, woken.signal).then(() => 'look' as const),
      ])
      woken.abort()
      ctx.events.stopping.removeEventListener('abort', stop)
      gone.removeEventListener('abort', stop)
      if (gone.aborted) return { messages: [] }
      // The request's token again, as a stream checks it before each page: a token revoked, or a
      // user disabled or demoted, while this waited takes nothing. (At once when the holder is
      // remembered, so a take still leaves in the publish's frame.)
      await ctx.stillAdmitted()
      if (why !== 'take') continue
      // A publish of messages visible at once is on its way: take now, with no await before the
      // send, so that the take leaves in its frame and commits with it (runtime/queue-signals.ts).
      // Nothing taken: that publish was refused (its user may not publish here) or a duplicate,
      // or another consumer took first.
      const took = await take()
      if (done(took)) return took
    }
  }
)
