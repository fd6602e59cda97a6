// Server-sent events from a log the worker keeps (the node's event log, a topic's messages): pages
// read from the worker while the client keeps up, a wait (no polling) once it has everything, a
// comment every so often so that proxies keep a quiet connection open, and an end when the client
// goes or the node stops; or, when it cannot go on (its token revoked, a topic's grants changed,
// the worker busy or restarting), an `end` event that says why, then the end.
import { anySignal, HttpError, type Ctx } from '../../runtime/index.ts'

/** Entries read from the worker at a time while a client catches up. */
const PAGE = 200
/** A comment line this often while nothing happens (proxies drop idle connections). */
const KEEP_ALIVE_MS = 15_000
/** How soon a browser reconnects after losing the stream. */
const RETRY_MS = 1000

/**
 * The streams open at once: each user's, and the node's in all. One token cannot hold the node's
 * connections and the worker's reads for itself (an attacker's thousands of streams did); a
 * browser tab, a dashboard or an integration needs a few each.
 */
export const STREAM_LIMITS = { perUser: 64, perNode: 1024 }
const open = new Map<string, number>()
let openInAll = 0

/** Counts a stream in, or refuses it (429, Retry-After); the function that counts it out, once. */
function admit(ctx: Ctx): () => void {
  const who = ctx.user?.name ?? `peer:${ctx.peer ?? ''}`
  const mine = open.get(who) ?? 0
  const [limit, whose] =
    mine >= STREAM_LIMITS.perUser
      ? [STREAM_LIMITS.perUser, `${who} has`]
      : openInAll >= STREAM_LIMITS.perNode
        ? [STREAM_LIMITS.perNode, 'this node has']
        : [undefined, '']
  if (limit !== undefined) {
    throw new HttpError(
      'TOO_MANY_STREAMS',
      `${whose} ${limit} event streams open, the most allowed at once: close one, or retry later`,
      { headers: { 'retry-after': '5' } }
    )
  }
  open.set(who, mine + 1)
  openInAll++
  let counted = true
  return () => {
    if (!counted) return
    counted = false
    openInAll--
    const left = (open.get(who) ?? 1) - 1
    if (left > 0) open.set(who, left)
    else open.delete(who)
  }
}

/**
 * Refuses a stream asked to resume past the head of its log (`where`: the query's `after`, or the
 * Last-Event-ID header): a position from another node, or from before this one was restored.
 * Waiting there would skip every entry up to it without a word.
 */
export function refusePastHead(after: number, head: number, where: string, what: string): void {
  if (after <= head) return
  const problem = `is past the last ${what} here (${head})`
  throw new HttpError(
    'CONFLICT',
    `${where} ${after} ${problem}: a position from another node, or from before this node was restored. Resume from ${head} or before, or leave it out to start from now`,
    { details: [{ path: where, message: problem }] }
  )
}

interface Options {
  after: number
  types?: string[]
  /** Aborts when the client goes away. */
  signal: AbortSignal
}

/** A log as a stream reads it: a page after a cursor, and a wait for what comes after it. */
export interface StreamSource {
  /** The entries after `cursor` (at most `limit`), each with its id and name, and the log's head. */
  page(
    cursor: number,
    limit: number
  ): Promise<{ entries: { seq: number; event: string; data: unknown }[]; head: number }>
  /** Whether the log may have grown past `cursor` (a wait is pointless then). */
  ahead(cursor: number): boolean
  /** Resolves when the log may have grown past `cursor`, or when `signal` aborts. */
  next(cursor: number, signal: AbortSignal): Promise<void>
}

export function sseStream(
  ctx: Ctx,
  source: StreamSource,
  options: { after: number; signal: AbortSignal; keepAliveMs?: number }
): ReadableStream<Uint8Array> {
  const keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS
  const unadmit = admit(ctx) // first: it may refuse, and then nothing is left listening
  const ending = anySignal([options.signal, ctx.events.stopping])
  const ended = ending.signal
  const release = () => {
    unadmit()
    ending.release()
  }
  // However it ends: the client gone (the request's signal), the stream closed or cancelled.
  options.signal.addEventListener('abort', release, { once: true })
  if (options.signal.aborted) release() // gone before the stream began
  const encoder = new TextEncoder()
  let cursor = options.after
  let first = true
  /** One page, or one wait, as the client can take more. */
  async function step(controller: ReadableStreamDefaultController<Uint8Array>) {
    for (;;) {
      if (ended.aborted) return controller.close()
      // The request's token is checked again before anything more is sent: a token revoked, or a
      // user disabled, since the stream began gets nothing more.
      await ctx.stillAdmitted()
      if (source.ahead(cursor)) {
        const { entries, head } = await source.page(cursor, PAGE)
        // A short page holds every entry up to the head it was read at.
        cursor = entries.length < PAGE ? Math.max(cursor, head) : (entries.at(-1)?.seq ?? head)
        if (entries.length === 0) continue
        const text = entries
          .map((e) => `id: ${e.seq}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`)
          .join('')
        return controller.enqueue(encoder.encode(text))
      }
      // The wait ends with the stream, or when the keep-alive is due: a wait left behind, as a
      // race against the timer left each one, held the source's waiter and a listener on the
      // stream for as long as the log was quiet, four a minute.
      const keepAlive = new AbortController()
      const timer = setTimeout(() => keepAlive.abort(), keepAliveMs).unref()
      const waiting = anySignal([ended, keepAlive.signal])
      try {
        await source.next(cursor, waiting.signal)
      } finally {
        clearTimeout(timer)
        waiting.release()
      }
      if (keepAlive.signal.aborted && !ended.aborted && !source.ahead(cursor))
        return controller.enqueue(encoder.encode(': keep-alive\n\n'))
    }
  }

  let cancelled = false
  return new ReadableStream({
    cancel() {
      cancelled = true
      release()
    },
    // Called whenever the client can take more. A stream that cannot go on says why and ends:
    // it never fails, which would take the node's process down with it. A client that comes
    // back (after `retry`, from its Last-Event-ID) is checked afresh.
    async pull(controller) {
      if (first) {
        first = false
        return controller.enqueue(encoder.encode(`retry: ${RETRY_MS}\n\n`))
      }
      try {
        await step(controller)
        if (ended.aborted) release() // step closed the stream
      } catch (err) {
        // The client went away meanwhile: nothing failed, and nobody is left to tell.
        if (cancelled || ended.aborted) return
        const refusal =
          err instanceof HttpError
            ? { error: err.code, message: err.message }
            : { error: 'INTERNAL', message: 'The stream could not go on; connect again' }
        ctx.log.info({ err, code: refusal.error }, 'an event stream ended: it could not go on')
        controller.enqueue(encoder.encode(`event: end\ndata: ${JSON.stringify(refusal)}\n\n`))
        controller.close()
        release()
      }
    },
  })
}

/** The node's event log, of the `types` given if any. */
export function eventStream(ctx: Ctx, options: Options): ReadableStream<Uint8Array> {
  return sseStream(
    ctx,
    {
      ahead: (cursor) => ctx.events.head() > cursor,
      next: (cursor, signal) => ctx.events.next(cursor, signal),
      async page(cursor, limit) {
        const { events, head } = await ctx.db.send('events.list', {
          after: cursor,
          limit,
          types: options.types,
        })
        return { entries: events.map((e) => ({ seq: e.seq, event: e.type, data: e })), head }
      },
    },
    options
  )
}

/** The headers of a stream of server-sent events. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-accel-buffering': 'no',
}
