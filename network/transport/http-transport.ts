import { Agent, request as httpRequest, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { z } from 'zod'
import { peerRefusal, type Reach } from '../membership/messages.ts'
import { ANY_RECEIVER, signRequest, verifyAnswer } from './signing.ts'

/**
 * How a call to a peer ended. A refusal (nothing listens there) is stronger news than silence;
 * an answer that is not signed with the cluster key for this very request, or that does not
 * have the shape of the answer asked for, is `bogus` and never believed.
 */
export type PeerOutcome<T> = { ok: true; body: T; rttMs: number; responder: string } | PeerFailure

export interface PeerFailure {
  ok: false
  reason: Exclude<Reach, 'ack' | 'unknown'>
  message: string
  /** When the call ended (Date.now()): the time of the evidence. */
  at: number
  /** For clock-skew: how far the receiver's clock is ahead of this node's (ms). */
  skewMs?: number
}

export interface PeerCall<S extends z.ZodType> {
  address: string
  path: string
  /** The receiver's node id, or ANY_RECEIVER for a join. */
  to: string
  body: unknown
  /** The shape of a successful answer. */
  answer: S
  timeoutMs: number
}

// Idle connections are kept longer than the probe rounds that reuse them, and shorter than the
// server keeps them (runtime/node.ts), so only a peer that died closes one from its side.
export const IDLE_CONNECTION_MS = 60_000

/** The largest answer read; a member list of a thousand members is about 200 KB. */
const MAX_ANSWER_BYTES = 1024 * 1024

function failure(reason: PeerFailure['reason'], message: string, skewMs?: number): PeerFailure {
  return { ok: false, reason, message, at: Date.now(), ...(skewMs === undefined ? {} : { skewMs }) }
}

function classify(err: NodeJS.ErrnoException): PeerFailure | 'reset' {
  if (err.code === 'ECONNREFUSED') return failure('refused', 'connection refused')
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return 'reset'
  return failure('unreachable', err.message)
}

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name]
  return Array.isArray(value) ? undefined : value
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * What a complete answer means. Nothing in it is believed unless it is signed with the cluster
 * key, for this request, by the node it was sent to, and has the shape asked for.
 */
function judgeAnswer<S extends z.ZodType>(
  call: PeerCall<S>,
  res: IncomingMessage,
  text: string,
  key: string,
  request: string,
  rttMs: number
): PeerOutcome<z.output<S>> {
  const status = res.statusCode ?? 0
  const json = parse(text)
  const responder = verifyAnswer(key, request, {
    status,
    header: (name) => header(res, name),
    body: text,
  })
  if (!responder) {
    const code = (json as { code?: unknown } | undefined)?.code
    const said = typeof code === 'string' ? ` ${code.slice(0, 64)}` : ''
    return failure(
      'bogus',
      `answered ${status}${said} without a valid signature (another cluster key, or not an almacen node)`
    )
  }
  if (call.to !== ANY_RECEIVER && responder !== call.to) {
    return failure('wrong-node', `node ${responder} answered for ${call.to}`)
  }
  if (status >= 200 && status < 300) {
    const answer = call.answer.safeParse(json)
    if (answer.success) return { ok: true, body: answer.data, rttMs, responder }
    return failure('bogus', `answered ${status}, signed, but not with the answer asked for`)
  }
  const refusal = peerRefusal.safeParse(json)
  if (!refusal.success) return failure('bogus', `answered ${status}, signed, but not as a refusal`)
  const { code, error, details } = refusal.data
  const message = `${status} ${code}: ${error}`
  if (code === 'WRONG_NODE') return failure('wrong-node', message)
  if (code === 'CLOCK_SKEW') {
    const skewMs = (details as { skewMs?: unknown } | undefined)?.skewMs
    return failure('clock-skew', message, typeof skewMs === 'number' ? skewMs : undefined)
  }
  return failure('error', message)
}

export interface PeerClientOptions {
  key: string | undefined
  selfId: string
  /** A kept connection to this address was closed by the other side. */
  onLost(address: string): void
  /** How each call ended, for the node it was addressed to. */
  onOutcome(to: string, outcome: PeerOutcome<unknown>): void
}

/**
 * Signed JSON calls to other nodes over kept-alive connections, each bounded by a timeout, whose
 * answers are checked before they are returned. A kept connection that the other side closes is
 * reported (`onLost`): when a node dies, the kernel closes its connections at once, which is
 * worth a look long before the next probe.
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

  constructor(private readonly options: PeerClientOptions) {}

  async post<S extends z.ZodType>(call: PeerCall<S>): Promise<PeerOutcome<z.output<S>>> {
    if (!this.options.key) return failure('unauthorized', 'no cluster key')
    const text = JSON.stringify(call.body)
    // A reset means a kept connection died under us (the peer restarted or was killed): one
    // fresh attempt (freshly signed) tells a refusal from a live node.
    let outcome = await this.once(call, text)
    if (outcome === 'reset') outcome = await this.once(call, text)
    const ended = outcome === 'reset' ? failure('refused', 'connection reset') : outcome
    this.options.onOutcome(call.to, ended)
    return ended
  }

  close(): void {
    this.closing = true
    this.agent.destroy()
  }

  private once<S extends z.ZodType>(
    call: PeerCall<S>,
    text: string
  ): Promise<PeerOutcome<z.output<S>> | 'reset'> {
    const started = performance.now()
    const key = this.options.key as string
    const signed = signRequest(key, {
      from: this.options.selfId,
      to: call.to,
      method: 'POST',
      path: call.path,
      body: text,
    })
    return new Promise((resolve) => {
      const url = new URL(call.path, call.address)
      const req = httpRequest(url, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...signed.headers,
        },
      })
      const end = (outcome: PeerOutcome<z.output<S>> | 'reset') => {
        clearTimeout(timer)
        resolve(outcome)
      }
      const timer = setTimeout(() => {
        if (req.socket) this.ours.add(req.socket)
        req.destroy()
        resolve(failure('timeout', 'no answer in time'))
      }, call.timeoutMs)
      req.on('socket', (socket) => this.watch(socket, call.address))
      req.on('error', (err) => end(classify(err)))
      req.on('response', (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size <= MAX_ANSWER_BYTES) return void chunks.push(chunk)
          if (req.socket) this.ours.add(req.socket)
          req.destroy()
          end(failure('bogus', `answered with more than ${MAX_ANSWER_BYTES} bytes`))
        })
        res.on('error', (err) => end(classify(err)))
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString()
          const rttMs = performance.now() - started
          end(judgeAnswer(call, res, body, key, signed.signature, rttMs))
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

  private onLost(address: string): void {
    this.options.onLost(address)
  }
}
