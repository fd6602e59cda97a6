import { eventStreamQuery, lastEventId } from '../../api/index.ts'
import { defineHandler, stream, validate } from '../../runtime/index.ts'
import { eventStream, refusePastHead, SSE_HEADERS } from '../_shared/event-stream.ts'

/**
 * The event log live, as server-sent events (`id` is the event's seq, `event` its type, `data`
 * the whole event): from `after`, or from the Last-Event-ID a reconnecting browser sends, so a
 * client that comes back misses nothing; without either, from now. A position past the log's
 * head is refused (409): waiting there would skip what comes before it.
 */
export default defineHandler(
  {
    access: 'viewer',
    summary: 'The event log live, as server-sent events (text/event-stream)',
    query: eventStreamQuery,
    example: { query: { after: '120', types: 'movement.recorded' } },
  },
  async (request, ctx, { query }) => {
    const resumed = request.headers.get('last-event-id')
    const after =
      resumed !== null
        ? validate(lastEventId, resumed, 'Last-Event-ID')
        : (query.after ?? ctx.events.head())
    // The runtime hears of the head after each commit: past it, the log itself is asked.
    if (after > ctx.events.head()) {
      const { head } = await ctx.db.send('events.list', { after: 0, limit: 1 })
      refusePastHead(after, head, resumed !== null ? 'Last-Event-ID' : 'after', 'event')
    }
    return stream(
      eventStream(ctx, { after, types: query.types, signal: request.signal }),
      SSE_HEADERS,
      ctx.cutOff
    )
  }
)
