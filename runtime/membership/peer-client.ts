import { signedHeaders } from './signing.ts'

/** How a call to a peer ended. A refusal (nothing listens there) is stronger news than silence. */
export type PeerOutcome<T> =
  | { ok: true; body: T; rttMs: number }
  | {
      ok: false
      reason: 'refused' | 'timeout' | 'unreachable' | 'unauthorized' | 'wrong-node' | 'error'
      message: string
      /** When the call ended (Date.now()): the time of the evidence. */
      at: number
    }

function classify(err: unknown): {
  reason: 'refused' | 'timeout' | 'unreachable' | 'reset'
  message: string
} {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return { reason: 'timeout', message: 'no answer in time' }
  const code = e.cause?.code ?? ''
  if (code === 'ECONNREFUSED') return { reason: 'refused', message: 'connection refused' }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return { reason: 'reset', message: 'connection reset' }
  }
  return { reason: 'unreachable', message: e.cause?.message ?? e.message ?? String(err) }
}

/** Signed JSON calls to other nodes, each bounded by a timeout. */
export class PeerClient {
  constructor(
    private readonly key: string | undefined,
    private readonly selfId: string
  ) {}

  async post<T>(
    address: string,
    path: string,
    body: unknown,
    timeoutMs: number
  ): Promise<PeerOutcome<T>> {
    if (!this.key)
      return { ok: false, reason: 'unauthorized', message: 'no cluster key', at: Date.now() }
    const text = JSON.stringify(body)
    // A reset means a connection kept from before died under us (the peer restarted or was
    // killed): one fresh attempt tells a refusal from a live node.
    for (let attempt = 0; ; attempt++) {
      const started = performance.now()
      try {
        const response = await fetch(address + path, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...signedHeaders(this.key, this.selfId, 'POST', path, text),
          },
          body: text,
          signal: AbortSignal.timeout(timeoutMs),
        })
        const reply = await response.json().catch(() => ({}))
        const rttMs = performance.now() - started
        if (response.ok) return { ok: true, body: reply as T, rttMs }
        const message = `${response.status} ${(reply as { error?: string }).error ?? ''}`.trim()
        const reason =
          response.status === 401
            ? 'unauthorized'
            : (reply as { code?: string }).code === 'WRONG_NODE'
              ? 'wrong-node'
              : 'error'
        return { ok: false, reason, message, at: Date.now() }
      } catch (err) {
        const { reason, message } = classify(err)
        if (reason === 'reset' && attempt === 0) continue
        return {
          ok: false,
          reason: reason === 'reset' ? 'refused' : reason,
          message,
          at: Date.now(),
        }
      }
    }
  }
}
