import t from 'tap'
import { sseStream, type StreamSource } from '../../../handlers/_shared/event-stream.ts'
import { fakeCtx } from '../../fixtures/handler-kit.ts'

/** A quiet log: nothing ever comes; the waits it holds, each ended by its signal only. */
function quietLog() {
  const waiting = new Set<AbortSignal>()
  const source: StreamSource = {
    page: async () => ({ entries: [], head: 0 }),
    ahead: () => false,
    next: (_cursor, signal) =>
      new Promise<void>((resolve) => {
        waiting.add(signal)
        signal.addEventListener('abort', () => (waiting.delete(signal), resolve()), { once: true })
      }),
  }
  return { source, waiting }
}

t.test(
  'a stream on a quiet log keeps one wait at a time, however many keep-alives it sends',
  async (t) => {
    const { source, waiting } = quietLog()
    // The stream's timers do not hold the process open (a node stops without waiting for them).
    const open = setInterval(() => undefined, 1000)
    t.teardown(() => clearInterval(open))
    const client = new AbortController()
    const stream = sseStream(fakeCtx(), source, {
      after: 0,
      signal: client.signal,
      keepAliveMs: 5,
    })
    const reader = stream.getReader()
    const text = new TextDecoder()
    t.equal(text.decode((await reader.read()).value), 'retry: 1000\n\n')
    for (let i = 0; i < 20; i++) {
      t.equal(text.decode((await reader.read()).value), ': keep-alive\n\n')
      // Each keep-alive ended its wait: none is left behind it.
      t.equal(waiting.size, 0, `after keep-alive ${i + 1}`)
    }
    const next = reader.read()
    client.abort()
    t.same(await next, { done: true, value: undefined }, 'the client gone, the stream ends')
    t.equal(waiting.size, 0, 'and no wait is left')
  }
)
