import { eventStreamQuery, lastEventId } from '../../api/index.ts'
import { defineHandler, readQuery, stream, validate } from '../../runtime/index.ts'
import { eventStream } from '../_shared/event-stream.ts'

/**
 * The event log live, as server-sent events (`id` is the event's seq, `event` its type, `data`
 * the whole event): from `after`, or from the Last-Event-ID a reconnecting browser sends, so a
 * client that comes back misses nothing; without either, from now.
 */
export default defineHandler({ access: 'public' }, async (request, ctx) => {
  const query = readQuery(request, eventStreamQuery)
  const resumed = request.headers.get('last-event-id')
  const after =
    resumed !== null
      ? validate(lastEventId, resumed, 'Last-Event-ID')
      : (query.after ?? ctx.events.head())
  return stream(eventStream(ctx, { after, types: query.types, signal: request.signal }), {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  })
})
