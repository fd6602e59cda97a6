import { Agent, request as httpRequest } from 'node:http'
import type { Socket } from 'node:net'
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

export type PeerFailure = Extract<PeerOutcome<unknown>, { ok: false }>

// Idle connections are kept longer than the probe rounds that reuse them, and shorter than the
// server keeps them (runtime/node.ts), so only a peer that died closes one from its side.
export const IDLE_CONNECTION_MS = 60_000

function failure(reason: PeerFailure['reason'], message: string): PeerFailure {
  return { ok: false, reason, message, at: Date.now() }
}

function classify(err: NodeJS.ErrnoException): PeerFailure | 'reset' {
  if (err.code === 'ECONNREFUSED') return failure('refused', 'connection refused')
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return 'reset'
  return failure('unreachable', err.message)
}

/**
 * Signed JSON calls to other nodes over kept-alive connections, each bounded by a timeout. A
 * kept connection that the other side closes is reported (`onLost`): when a node dies, the
 * kernel closes its connections at once, which is worth a look long before the next probe.
 */
export class PeerClient {
  private readonly agent = new Agent({
    keepAlive: true,
    maxSockets: 8,
    timeout: IDLE_CONNECTION_MS,
  })
  private readonly watched = new WeakSet<Socket>()
  /** Connections this side closed (idle, or a call that timed out): not news about the peer. */
  private readonly ours = new WeakSet<Socket>()
  private closing = false

  constructor(
    private readonly key: string | undefined,
    private readonly selfId: string,
    private readonly onLost: (address: string) => void
  ) {}

  async post<T>(
    address: string,
    path: string,
    body: unknown,
    timeoutMs: number
  ): Promise<PeerOutcome<T>> {
    if (!this.key) return failure('unauthorized', 'no cluster key')
    const text = JSON.stringify(body)
    // A reset means a kept connection died under us (the peer restarted or was killed): one
    // fresh attempt tells a refusal from a live node.
    const first = await this.once<T>(address, path, text, timeoutMs)
    return first === 'reset'
      ? this.once<T>(address, path, text, timeoutMs).then((r) =>
          r === 'reset' ? failure('refused', 'connection reset') : r
        )
      : first
  }

  close(): void {
    this.closing = true
    this.agent.destroy()
  }

  private once<T>(
    address: string,
    path: string,
    text: string,
    timeoutMs: number
  ): Promise<PeerOutcome<T> | 'reset'> {
    const started = performance.now()
    return new Promise((resolve) => {
      const url = new URL(path, address)
      const req = httpRequest(url, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...signedHeaders(this.key as string, this.selfId, 'POST', path, text),
        },
      })
      const timer = setTimeout(() => {
        if (req.socket) this.ours.add(req.socket)
        req.destroy()
        resolve(failure('timeout', 'no answer in time'))
      }, timeoutMs)
      req.on('socket', (socket) => this.watch(socket, address))
      req.on('error', (err) => {
        clearTimeout(timer)
        resolve(classify(err))
      })
      req.on('response', (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', (err) => {
          clearTimeout(timer)
          resolve(classify(err))
        })
        res.on('end', () => {
          clearTimeout(timer)
          const rttMs = performance.now() - started
          let reply: { error?: string; code?: string } = {}
          try {
            reply = JSON.parse(Buffer.concat(chunks).toString())
          } catch {
            // not JSON: reported below by its status
          }
          const status = res.statusCode ?? 0
          if (status >= 200 && status < 300) return resolve({ ok: true, body: reply as T, rttMs })
          const message = `${status} ${reply.error ?? ''}`.trim()
          if (status === 401) return resolve(failure('unauthorized', message))
          resolve(failure(reply.code === 'WRONG_NODE' ? 'wrong-node' : 'error', message))
        })
      })
      req.end(text)
    })
  }

  private watch(socket: Socket, address: string): void {
    if (this.watched.has(socket)) return
    this.watched.add(socket)
    let connected = !socket.connecting
    socket.once('connect', () => (connected = true))
    socket.once('timeout', () => this.ours.add(socket)) // the agent closes idle connections itself
    socket.once('close', () => {
      if (connected && !this.ours.has(socket) && !this.closing) this.onLost(address)
    })
  }
}
