import { Agent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as TlsAgent, request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'
import { TLSSocket } from 'node:tls'
import { z } from 'zod'
import type { Keyring, SigningKey } from '../keyring/keyring.ts'
import { PeerAuth } from './peer-auth.ts'
import { signRequest, verifyAnswer } from './signing.ts'
import {
  ANY_RECEIVER,
  failure,
  refusedWith,
  Watchers,
  type ExchangeKind,
  type PeerCall,
  type PeerOutcome,
  type Transport,
  type TransportEvents,
} from './transport.ts'

/** A refusal, as every node answers one over HTTP (runtime/errors.ts). */
export const peerRefusal = z.object({
  status: z.int(),
  error: z.string().max(2000),
  code: z.string().max(64),
  details: z.unknown().optional(),
})

// Idle connections are kept longer than the probe rounds that reuse them, and shorter than the
// server keeps them (runtime/node.ts), so only a peer that died closes one from its side.
export const IDLE_CONNECTION_MS = 60_000

/** The largest answer read unless the exchange says; a member list of a thousand members is about 200 KB. */
const MAX_ANSWER_BYTES = 1024 * 1024

type Ending<K extends ExchangeKind> = PeerOutcome<z.output<K['answer']>>

/** OpenSSL's verify errors and Node's name check: the peer's certificate was not believed. */
const CERTIFICATE_REFUSED = /CERT|SELF_SIGNED|ISSUER|VERIFY/

function classify<K extends ExchangeKind>(err: NodeJS.ErrnoException): Ending<K> | 'reset' {
  if (err.code === 'ECONNREFUSED') return failure('refused', 'connection refused', Date.now())
  if (err.code && CERTIFICATE_REFUSED.test(err.code)) {
    return failure('bogus', `its TLS certificate was refused: ${err.message}`, Date.now())
  }
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return 'reset'
  return failure('unreachable', err.message, Date.now())
}

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name]
  return Array.isArray(value) ? undefined : value
}

/**
 * What an unsigned refusal of this node's signature says, quoted as its word (a node that holds
 * another cluster key names the key it was not given): printable, and short.
 */
function refusalWords(code: unknown, json: unknown): string {
  const error = (json as { error?: unknown } | undefined)?.error
  if (code !== 'UNAUTHENTICATED' || typeof error !== 'string') return ''
  return `; it says: "${error.replace(/[^\x20-\x7e]/g, '?').slice(0, 160)}"`
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
function judgeAnswer<K extends ExchangeKind>(
  call: PeerCall<K>,
  res: IncomingMessage,
  text: string,
  key: SigningKey,
  request: string,
  rttMs: number
): Ending<K> {
  const at = Date.now()
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
    // A node refuses some requests at its door, before it reads them, and so unsigned: too many
    // connections open there (503). Said as a possibility: nothing unsigned is believed.
    // Its unsigned word, said as its word: a node restoring or stopping answers before any key.
    const why =
      code === 'RESTORING'
        ? 'it says it is restoring its ledger, and serves once that is verified'
        : code === 'NODE_STOPPING'
          ? 'it says it is stopping'
          : status === 503
            ? 'refused at its door before it was read (too many connections there?), or another cluster key, or not an almacen node'
            : `another cluster key, or not an almacen node${refusalWords(code, json)}`
    return failure('bogus', `answered ${status}${said} without a valid signature (${why})`, at)
  }
  if (call.to !== ANY_RECEIVER && responder !== call.to) {
    return failure('wrong-node', `node ${responder} answered for ${call.to}`, at)
  }
  if (status >= 200 && status < 300) {
    const answer = call.kind.answer.safeParse(json)
    if (answer.success) {
      return { ok: true, body: answer.data as z.output<K['answer']>, rttMs, responder }
    }
    return failure('bogus', `answered ${status}, signed, but not with the answer asked for`, at)
  }
  const refusal = peerRefusal.safeParse(json)
  if (!refusal.success) {
    return failure('bogus', `answered ${status}, signed, but not as a refusal`, at)
  }
  const { code, error, details } = refusal.data
  return refusedWith({ code, message: `${status} ${code}: ${error}`, details }, at)
}

export interface HttpTransportOptions {
  /** The cluster keys: the primary signs each call, any installed one is accepted from peers. */
  keys: Keyring
  selfId: string
  tls?: PeerTls
}

/** TLS between nodes (PEM texts), for peers at https:// addresses. */
export interface PeerTls {
  /**
   * The CA a peer must show a certificate signed by (and for its address); by default the public
   * CAs Node trusts.
   */
  ca?: string
  /** This node's certificate and key, shown to the peers it calls (they check it against their CA). */
  cert?: string
  key?: string
}

/**
 * The transport over HTTP: signed JSON calls to other nodes over kept-alive connections, each
 * bounded by a timeout, whose answers are checked before they are returned; and, for the peer
 * routes, the checks of what arrives (`auth`). A kept connection that the other side closes is
 * reported (`lost`): when a node dies, the kernel closes its connections at once, which is worth
 * a look long before the next probe.
 */
export class HttpTransport implements Transport {
  readonly name = 'transport'
  /** Checks the signature, receiver, freshness and nonce of requests from other nodes. */
  readonly auth: PeerAuth
  private readonly watchers = new Watchers()
  private readonly agent = new Agent({
    keepAlive: true,
    maxSockets: 8,
    timeout: IDLE_CONNECTION_MS,
  })
  /** For peers at https:// addresses (the address decides): the signatures are checked all the same. */
  private readonly tlsAgent: TlsAgent
  private readonly watched = new WeakSet<Socket>()
  /** Connections this side closed (idle, or a call that timed out): not news about the peer. */
  private readonly ours = new WeakSet<Socket>()
  private closing = false

  constructor(private readonly options: HttpTransportOptions) {
    this.tlsAgent = new TlsAgent({
      keepAlive: true,
      maxSockets: 8,
      timeout: IDLE_CONNECTION_MS,
      ...(options.tls?.ca && { ca: options.tls.ca }),
      ...(options.tls?.cert && { cert: options.tls.cert, key: options.tls.key }),
    })
    this.auth = new PeerAuth({
      keys: options.keys,
      selfId: options.selfId,
      onClockSkew: (sender, skewMs) => this.watchers.skewed(sender, skewMs),
      onUnknownKey: (sender, keyId, held) => this.watchers.unknownKey(sender, keyId, held),
    })
  }

  get canTalk(): boolean {
    return this.options.keys.primary !== undefined
  }

  watch(events: TransportEvents): () => void {
    return this.watchers.add(events)
  }

  async call<K extends ExchangeKind>(call: PeerCall<K>): Promise<Ending<K>> {
    if (!this.canTalk) return failure('unauthorized', 'no cluster key', Date.now())
    const text = JSON.stringify(call.body)
    // A reset means a kept connection died under us (the peer restarted or was killed): one
    // fresh attempt (freshly signed) tells a refusal from a live node, in the time the call has
    // left: a caller's timeout is how long the call takes at most, however it fails.
    const deadline = performance.now() + call.timeoutMs
    let outcome = await this.once(call, text)
    if (outcome === 'reset') {
      const left = Math.round(deadline - performance.now())
      outcome =
        left > 0
          ? await this.once({ ...call, timeoutMs: left }, text)
          : failure('timeout', 'no answer in time', Date.now())
    }
    const ended = outcome === 'reset' ? failure('refused', 'connection reset', Date.now()) : outcome
    this.watchers.answered(call.to, ended)
    return ended
  }

  /**
   * A peer's requests came on this connection: when it closes from the peer's side (its process
   * died), that is evidence too.
   */
  watchInbound(socket: Socket, peer: string): void {
    if (this.watched.has(socket)) return
    this.watched.add(socket)
    socket.once('close', () => {
      if (!this.closing) this.watchers.lost({ id: peer })
    })
  }

  async open(): Promise<void> {}

  /** Closes the kept connections; evidence stops. */
  async close(): Promise<void> {
    this.closing = true
    this.agent.destroy()
    this.tlsAgent.destroy()
  }

  private once<K extends ExchangeKind>(
    call: PeerCall<K>,
    text: string
  ): Promise<Ending<K> | 'reset'> {
    const started = performance.now()
    // The key of this attempt: the answer is checked with it, whatever a rotation does meanwhile.
    const key = this.options.keys.primary as SigningKey
    const path = call.kind.path
    const signed = signRequest(key, {
      from: this.options.selfId,
      to: call.to,
      method: 'POST',
      path,
      body: text,
    })
    return new Promise((resolve) => {
      const url = new URL(path, call.address)
      const tls = url.protocol === 'https:'
      const req = (tls ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        agent: tls ? this.tlsAgent : this.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...signed.headers,
        },
      })
      const end = (outcome: Ending<K> | 'reset') => {
        clearTimeout(timer)
        resolve(outcome)
      }
      const timer = setTimeout(() => {
        if (req.socket) this.ours.add(req.socket)
        req.destroy()
        resolve(failure('timeout', 'no answer in time', Date.now()))
      }, call.timeoutMs)
      req.on('socket', (socket) => this.watchOutbound(socket, call.address))
      req.on('error', (err) => {
        const outcome = classify<K>(err)
        // A certificate refused: this side closes the connection, and that is no news of a death.
        if (outcome !== 'reset' && !outcome.ok && outcome.reason === 'bogus' && req.socket) {
          this.ours.add(req.socket)
        }
        end(outcome)
      })
      req.on('response', (res) => {
        const chunks: Buffer[] = []
        let size = 0
        const most = call.kind.maxAnswerBytes ?? MAX_ANSWER_BYTES
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size <= most) return void chunks.push(chunk)
          if (req.socket) this.ours.add(req.socket)
          req.destroy()
          end(failure('bogus', `answered with more than ${most} bytes`, Date.now()))
        })
        res.on('error', (err) => end(classify<K>(err)))
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString()
          const rttMs = performance.now() - started
          end(judgeAnswer(call, res, body, key, signed.signature, rttMs))
        })
      })
      req.end(text)
    })
  }

  private watchOutbound(socket: Socket, address: string): void {
    if (this.watched.has(socket)) return
    this.watched.add(socket)
    let connected = !socket.connecting
    // Over TLS, a connection counts once the handshake is done (a certificate refused is not one).
    const ready = socket instanceof TLSSocket ? 'secureConnect' : 'connect'
    if (socket instanceof TLSSocket) connected = !socket.connecting && !!socket.authorized
    socket.once(ready, () => (connected = true))
    socket.once('timeout', () => this.ours.add(socket)) // the agent closes idle connections itself
    socket.once('close', () => {
      if (connected && !this.ours.has(socket) && !this.closing) this.watchers.lost({ address })
    })
  }
}
