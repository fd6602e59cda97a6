// Follows the node's event stream (server-sent events) with fetch, because EventSource cannot
// send the Authorization header; after a drop it reconnects by itself with Last-Event-ID, so no
// event is missed, and says whether the node is reachable meanwhile.
import { useEffect, useRef, useState } from 'preact/hooks'
import type { NodeEvent } from '../api/index.ts'
import { token } from './api.ts'

export interface LiveOptions {
  types: string[]
  onEvent(event: NodeEvent): void
  /** true once the stream is open, false while the node cannot be reached. */
  onConnected(connected: boolean): void
  /** The node refuses the token (revoked, expired): following stops, with the node's sentence. */
  onRefused(sentence: string): void
}

/** Starts following; the returned function stops. */
export function follow(options: LiveOptions): () => void {
  const stop = new AbortController()
  let lastId: string | null = null
  let retryMs = 1000

  async function once(): Promise<void> {
    const headers: Record<string, string> = { authorization: `Bearer ${token.get() ?? ''}` }
    if (lastId !== null) headers['last-event-id'] = lastId
    const query = encodeURIComponent(options.types.join(','))
    const response = await fetch(`/events/stream?types=${query}`, { headers, signal: stop.signal })
    if (response.status === 401) {
      const body = (await response.json().catch(() => ({}))) as { error?: string }
      stop.abort()
      return options.onRefused(body.error ?? `${response.status} ${response.statusText}`)
    }
    if (response.status === 409 && lastId !== null) {
      // Past the node's head (it was restored from a backup): what the node has now is read
      // afresh on reconnecting, and the stream goes on from now.
      lastId = null
      throw new Error('event stream: resumed past the head')
    }
    if (!response.ok || !response.body) throw new Error(`event stream: ${response.status}`)
    options.onConnected(true)
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += value
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end))
        buffer = buffer.slice(end + 2)
      }
    }
  }

  function dispatch(block: string): void {
    let id: string | null = null
    let name = 'message'
    let data = ''
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':')
      if (colon <= 0) continue // a comment (keep-alive) or nothing
      const field = line.slice(0, colon)
      const value = line.slice(colon + 1).replace(/^ /, '')
      if (field === 'id') id = value
      else if (field === 'event') name = value
      else if (field === 'data') data += value
      else if (field === 'retry') retryMs = Number(value) || retryMs
    }
    if (id !== null) lastId = id
    // `end`: the node ends the stream and says why (a token revoked is refused on the way back).
    if (data && name !== 'end') options.onEvent(JSON.parse(data) as NodeEvent)
  }

  async function run(): Promise<void> {
    while (!stop.signal.aborted) {
      try {
        await once()
      } catch {
        // unreachable, or the stream broke: said below, and tried again
      }
      if (stop.signal.aborted) return
      options.onConnected(false)
      await new Promise((resolve) => setTimeout(resolve, retryMs))
    }
  }
  void run()
  return () => stop.abort()
}

export interface UseLiveOptions extends Omit<LiveOptions, 'onConnected'> {
  /** Each (re)connection: what changed while away is to be asked for again. */
  onOpen?(): void
}

/**
 * Follows the stream while the screen is shown; answers whether the node is reachable. The
 * callbacks may change from render to render (the latest is called); the types may not.
 */
export function useLive(options: UseLiveOptions): boolean {
  const [connected, setConnected] = useState(true)
  const latest = useRef(options)
  latest.current = options
  useEffect(
    () =>
      follow({
        types: options.types,
        onEvent: (event) => latest.current.onEvent(event),
        onRefused: (sentence) => latest.current.onRefused(sentence),
        onConnected(open) {
          setConnected(open)
          if (open) latest.current.onOpen?.()
        },
      }),
    []
  )
  return connected
}
