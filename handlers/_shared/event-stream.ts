// Server-sent events from the node's event log: pages read from the worker while the client keeps
// up, a wait on the event hub (no polling) once it has everything, a comment every so often so
// that proxies keep a quiet connection open, and an end when the client goes or the node stops.
import type { Ctx } from '../../runtime/index.ts'

/** Events read from the worker at a time while a client catches up. */
const PAGE = 200
/** A comment line this often while nothing happens (proxies drop idle connections). */
const KEEP_ALIVE_MS = 15_000
/** How soon a browser reconnects after losing the stream. */
const RETRY_MS = 1000

interface Options {
  after: number
  types?: string[]
  /** Aborts when the client goes away. */
  signal: AbortSignal
}

export function eventStream(ctx: Ctx, options: Options): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const ended = AbortSignal.any([options.signal, ctx.events.stopping])
  let cursor = options.after
  let first = true
  return new ReadableStream({
    // Called whenever the client can take more: one page, or one wait, per call.
    async pull(controller) {
      if (first) {
        first = false
        return controller.enqueue(encoder.encode(`retry: ${RETRY_MS}\n\n`))
      }
      for (;;) {
        if (ended.aborted) return controller.close()
        if (ctx.events.head() > cursor) {
          const { events, head } = await ctx.db.send('events.list', {
            after: cursor,
            limit: PAGE,
            types: options.types,
          })
          // A short page holds every event (of those types) up to the head it was read at.
          cursor = events.length < PAGE ? head : (events.at(-1)?.seq ?? head)
          if (events.length === 0) continue
          const text = events
            .map((e) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`)
            .join('')
          return controller.enqueue(encoder.encode(text))
        }
        const quiet = await Promise.race([
          ctx.events.next(cursor, ended).then(() => false),
          new Promise<boolean>((resolve) => setTimeout(resolve, KEEP_ALIVE_MS, true).unref()),
        ])
        if (quiet) return controller.enqueue(encoder.encode(': keep-alive\n\n'))
      }
    },
  })
}
