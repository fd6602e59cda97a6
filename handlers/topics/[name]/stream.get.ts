import { lastEventId, topicPattern, topicStreamQuery } from '../../../api/index.ts'
import { defineHandler, stream, validate } from '../../../runtime/index.ts'
import { refusePastHead, SSE_HEADERS, sseStream } from '../../_shared/event-stream.ts'

/** What every topic's waiting streams are woken by: a publish to any topic (or a peer's). */
const TOPICS = '*topics'

/**
 * The messages of the topics a pattern matches, live, as server-sent events (`id` is the topic
 * message's seq, `event` its topic, `data` the message): from `after`, or the Last-Event-ID a
 * reconnecting client sends, so it misses nothing the topics still keep (a position past the last
 * message given is refused, 409); else from now. The node's
 * own events are on GET /events/stream; subscriptions (durable, with ack) get both. Topics kept
 * to granted users are streamed to those granted consume, and admins.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'The messages of the topics a pattern matches, live (text/event-stream)',
    query: topicStreamQuery,
    example: { query: { after: '41' } },
  },
  async (request, ctx, { query }) => {
    const pattern = validate(topicPattern, request.params.name, 'topic pattern in the path')
    const resumed = request.headers.get('last-event-id')
    const read = (after: number, limit: number) =>
      ctx.db.send('topics.feed', { pattern, after, limit })
    // Read once before the stream starts: a refusal (a topic kept to granted users) is its status.
    const { head } = await read(0, 1)
    const after =
      resumed !== null ? validate(lastEventId, resumed, 'Last-Event-ID') : (query.after ?? head)
    refusePastHead(after, head, resumed !== null ? 'Last-Event-ID' : 'after', 'topic message')
    let seen = -1 // the publishes counted when the last page was read: a wait misses none after it
    const source = {
      ahead: () => seen !== ctx.queues.version(),
      next: async (_cursor: number, signal: AbortSignal) => {
        await ctx.queues.next(TOPICS, Date.now() + 60_000, signal, seen)
      },
      async page(cursor: number, limit: number) {
        seen = ctx.queues.version()
        const { messages, head } = await read(cursor, limit)
        if (messages.length === limit) seen = -1 // more to read at once
        return { entries: messages.map((m) => ({ seq: m.seq, event: m.topic, data: m })), head }
      },
    }
    return stream(
      sseStream(ctx, source, { after, signal: request.signal }),
      SSE_HEADERS,
      ctx.cutOff
    )
  }
)
