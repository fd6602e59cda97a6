// The node's HTTP server (node:http, or node:https with a certificate): the limits that must hold
// before a request is read, and a stop that closes every connection between two requests, never
// under one.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Logger } from 'pino'
import { ERROR_STATUS, type ErrorCode } from '../api/errors.ts'
import { MAX_BODY_BYTES, tooLarge } from './input.ts'
import { SETTINGS } from './settings.ts'
import { plainAddress } from './stages/client-address.ts'

/** What a parser error (err.code) is answered with: code and sentence (the status, the code's). */
const UNPARSED: Record<string, readonly [ErrorCode, string]> = {
  HPE_HEADER_OVERFLOW: [
    'HEADERS_TOO_LARGE',
    "The request's headers are too large: at most 16 KiB in all",
  ],
  ERR_HTTP_REQUEST_TIMEOUT: ['REQUEST_TIMEOUT', 'The request did not all arrive in time'],
  default: ['BAD_REQUEST', 'The request is not HTTP/1.1 this node can read'],
}

/** A refusal at the door: JSON as every refusal, a request id, and the connection closed. */
function refusal(status: number, code: string, message: string) {
  const requestId = randomUUID()
  const body = JSON.stringify({ status, error: message, code })
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'x-request-id': requestId,
    // As every answer the router marks (runtime/stages/respond.ts markAnswer).
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    connection: 'close',
  }
  return { requestId, headers, body }
}

/** A whole HTTP/1.1 answer as bytes for a socket no request object is there for (at the door). */
function rawAnswer(status: number, headers: Record<string, string>, body: string): string {
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head.join('')}\r\n${body}`
}

/**
 * Once the node stops, a connection with no request for this long is closed: a request already on
 * its way gets there and is answered, rather than meeting a reset.
 */
export const QUIET_MS = 200

/**
 * How often node:http looks for a request past headersTimeout or requestTimeout (its default,
 * 30 s, cut a client sending its headers a byte at a time at 41 s, not at the 10 s set).
 */
export const TIMEOUT_CHECK_MS = 1000

/** A TLS handshake not done in this long is cut (Node's default is 2 min); as headersTimeout. */
const HANDSHAKE_MS = 10_000

/**
 * How many connections the node holds open at once, in all and from one client address; a
 * connection over either is answered 503 TOO_MANY_CONNECTIONS at once and closed (over TLS, closed
 * before its handshake). Keep-alive connections stay open 90 s when quiet (peers keep theirs), and
 * each is a file descriptor: without a bound, one client opening thousands took a node to its
 * open-file limit, where it could open nothing more, not even its peers' connections.
 */
export interface ConnectionLimits {
  total: number
  perClient: number
  /** Addresses exempt from `perClient` (reverse proxies: many clients come through each). */
  exempt: readonly string[]
}

export const UNLIMITED: ConnectionLimits = { total: Infinity, perClient: Infinity, exempt: [] }

/**
 * The limits a node's settings ask for, the total lowered to half the process's open-file limit
 * when that is lower (the rest is for its database, its peers' connections, its backups), and
 * one address's share to a quarter of the total, so that one client never holds all of it; with
 * a note saying what was lowered. Undefined settings are the defaults' (runtime/settings.ts).
 */
export function connectionLimits(
  settings: {
    maxConnections?: number
    maxConnectionsPerClient?: number
    trustedProxies?: string[]
  },
  openFiles: number | undefined
): { limits: ConnectionLimits; note?: string } {
  const asked = settings.maxConnections ?? Number(SETTINGS.maxConnections.default)
  const askedEach =
    settings.maxConnectionsPerClient ?? Number(SETTINGS.maxConnectionsPerClient.default)
  const room = openFiles === undefined ? Infinity : Math.max(16, Math.floor(openFiles / 2))
  const total = Math.min(asked, room)
  const limits = {
    total,
    perClient: Math.min(askedEach, Math.max(4, Math.floor(total / 4))),
    exempt: settings.trustedProxies ?? [],
  }
  const notes: string[] = []
  if (total < asked) {
    notes.push(
      `the process may open ${openFiles} files (ulimit -n): ${total} connections are held ` +
        `open at most, not ${asked} (--max-connections); raise the limit (LimitNOFILE=) for more`
    )
  }
  if (limits.perClient < askedEach) {
    notes.push(
      `one address may hold ${limits.perClient} connections, not ${askedEach} ` +
        `(--max-connections-per-client): at most a quarter of the ${total} in all`
    )
  }
  return notes.length ? { limits, note: notes.join('; ') } : { limits }
}

/** The process's open-file limit (the soft one), where the system says it (Linux). */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'))
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0]
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined
  } catch {
    return undefined
  }
}

/**
 * Connections beyond the total still taken from an address a peer has signed a request from (and
 * never held to one address's share): a peer that restarts, or opens one more connection, while
 * others fill the node is not shut out. A peer opens 8 at most to each node.
 */
export const PEER_ROOM = 256

/** A refused connection is closed this long after its answer at the latest. */
const REFUSED_LINGER_MS = 1000

/** Refusals are logged at once, then at most this often (with how many there were meanwhile). */
const REFUSALS_LOG_EVERY_MS = 10_000

/** A certificate and its key (PEM): the server speaks HTTPS only. */
export interface ServerTls {
  cert: string
  key: string
  /**
   * The company CA: a peer's request (under /peer/) must come with a client certificate it
   * signed. Clients (browsers, curl, the text client) need none.
   */
  ca?: string
}

/**
 * The request target as the router will read it, in origin form: dot segments resolved
 * (`/x/../peer/ping` is `/peer/ping`) and an absolute-form target (`GET http://host/peer/ping`, as
 * proxies send) reduced to its path and query. Done once at the door, so that every check before
 * the router (the peer's certificate, the body limit) sees the path the router will route.
 * Undefined for a target that is not a URL path at all.
 */
function originForm(target: string): string | undefined {
  // A path starts with one slash. A second one, or a backslash (URL reads `\` as `/`), makes what
  // follows a host name: `//peer/stock` was served, and logged, as /stock. A target that is no
  // path is an absolute URL, or nothing this node serves.
  if (/^[/\\][/\\]/.test(target)) return undefined
  if (!target.startsWith('/') && !/^https?:\/\//i.test(target)) return undefined
  try {
    const url = new URL(target, 'http://node')
    // Resolved (`/.//peer/stock`, `http://node//peer/stock`), a path must still start with one
    // slash: the router would read another host name out of a second one.
    if (url.pathname.startsWith('//')) return undefined
    return url.pathname + url.search
  } catch {
    return undefined
  }
}

/**
 * A Host header that is a host name or address with an optional port, nothing else: the request's
 * URL is made of it and the target, so `Host: x/peer` with the target `/ping` would be routed as
 * `/peer/ping`, past the checks made on the target. The port within range, as URL says.
 */
const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$/
function isAuthority(host: string): boolean {
  return AUTHORITY.test(host) && URL.canParse(`http://${host}/`)
}

/** A peer's request on a connection without a certificate the CA signed. */
function uncertifiedPeer(req: IncomingMessage): boolean {
  return req.url?.startsWith('/peer/') === true && !(req.socket as TLSSocket).authorized
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void

/**
 * How long a connection kept alive between requests must have been idle before it is closed to
 * make room for a new one, when an address's share or the total is full.
 */
export const RECLAIM_IDLE_MS = 5_000

interface Connection {
  inFlight: number
  /** It carried a peer's request: kept until the node has left the network (see drainClients). */
  peer: boolean
  quiet?: NodeJS.Timeout
  /** Requests it has carried: one that carried some and carries none now is idle (kept alive). */
  served: number
  /** Since when it carries none (performance.now()). */
  idleSince: number
  /** The client's address, as admit counts it. */
  address: string
}

/** The largest body a request may declare, by method and path (router.ts bodyLimits). */
export type BodyLimit = (method: string, path: string) => number

const everywhere: BodyLimit = () => MAX_BODY_BYTES

/**
 * The HTTP server a node listens with. A body declared larger than the limit gets its 413 at once,
 * with Connection: close (node:http would otherwise read the whole body to keep the connection);
 * a stop lets each connection finish its request and closes it while it is quiet, so a client
 * never has a request cut off by a reset.
 */
export class HttpServer {
  readonly server: Server
  private readonly connections = new Map<Socket, Connection>()
  private draining = false
  private closingPeers = false
  /** Every TCP connection open, in all and by client address; those refused for too many. */
  private open = 0
  private readonly openBy = new Map<string, number>()
  private readonly refused = new WeakSet<Socket>()
  private refusals = { unlogged: 0, loggedAt: -Infinity }
  private readonly exempt: ReadonlySet<string>
  /** Addresses a peer's signed request came from: PEER_ROOM beyond the total, no share. */
  private readonly peerAddresses = new Set<string>()

  constructor(
    listener: Listener,
    private readonly log: Logger,
    private readonly bodyLimit: BodyLimit = everywhere,
    tls?: ServerTls,
    private readonly quietMs = QUIET_MS,
    private readonly limits: ConnectionLimits = UNLIMITED,
    private readonly reclaimIdleMs = RECLAIM_IDLE_MS
  ) {
    this.exempt = new Set(limits.exempt.map(plainAddress))
    const peersShowCertificates = !!tls?.ca
    const serve: Listener = (req, res) => {
      if (this.refused.has(req.socket)) return // answered at the door (admit)
      if (!this.inOriginForm(req, res)) return
      if (this.declaresTooMuch(req)) return this.refuseTooLarge(req, res)
      if (peersShowCertificates && uncertifiedPeer(req)) return this.refuseUncertifiedPeer(req, res)
      const connection = this.connections.get(req.socket)
      if (connection) this.track(connection, req.socket, res)
      listener(req, res)
    }
    this.server = tls
      ? createTlsServer(
          {
            cert: tls.cert,
            key: tls.key,
            handshakeTimeout: HANDSHAKE_MS,
            connectionsCheckingInterval: TIMEOUT_CHECK_MS,
            // Asked for, not required: clients have none; peers' requests are refused without.
            ...(tls.ca && { ca: tls.ca, requestCert: true, rejectUnauthorized: false }),
          },
          serve
        )
      : createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_MS }, serve)
    // `Expect: 100-continue` (curl sends it for large bodies): say no before the body is sent.
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.inOriginForm(req, res)) return
      if (this.declaresTooMuch(req)) return this.refuseTooLarge(req, res)
      res.writeContinue()
      serve(req, res)
    })
    // Before node:http's own listener: a connection over the limits is answered and closed.
    this.server.prependListener('connection', (socket: Socket) => this.admit(socket, !!tls))
    // Over TLS, requests come on the TLS socket that wraps the TCP one: that one is tracked.
    this.server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
      const connection: Connection = {
        inFlight: 0,
        peer: false,
        served: 0,
        idleSince: performance.now(),
        address: plainAddress(socket.remoteAddress ?? ''),
      }
      this.connections.set(socket, connection)
      socket.once('close', () => {
        clearTimeout(connection.quiet)
        this.connections.delete(socket)
      })
      if (this.draining) this.closeWhenQuiet(socket, connection)
    })
    // What node:http's parser refuses before there is a request (headers too large, not HTTP at
    // all, too slow to arrive) is answered in JSON as every refusal is, not with Node's bare
    // status line; then the connection is closed, as Node would.
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (this.refused.has(socket)) return void socket.destroy()
      this.refuseUnparsed(err, socket)
    })
    // A client that does not speak TLS, or refuses the certificate: its connection is closed.
    this.server.on('tlsClientError', (err: Error, socket: Socket) => {
      this.log.debug({ err: err.message, remote: socket.remoteAddress }, 'TLS handshake failed')
      socket.destroy()
    })
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve(this.server.address() as AddressInfo)
      })
    })
  }

  /** This connection carries a peer's requests (see drainClients). */
  markPeer(socket: Socket): void {
    const connection = this.connections.get(socket)
    if (connection) connection.peer = true
    if (socket.remoteAddress) this.peerAddresses.add(plainAddress(socket.remoteAddress))
  }

  /**
   * The first step of a stop: clients' connections are closed as soon as they are quiet (the
   * router answers each of their requests with Connection: close). Peers' connections stay: while
   * the node leaves, a closed connection would be failure evidence to them.
   */
  drainClients(): void {
    this.draining = true
    for (const [socket, connection] of this.connections) this.closeWhenQuiet(socket, connection)
  }

  /**
   * Stops listening and resolves once every connection has closed: requests in flight finish,
   * quiet connections close; whatever is still open after `timeoutMs` is cut.
   */
  async close(timeoutMs: number): Promise<void> {
    this.draining = true
    this.closingPeers = true
    const closed = new Promise<void>((resolve) =>
      // net's close, not http's: that one would also destroy every idle connection at once,
      // including one whose first request is already on its way (a reset for that client).
      NetServer.prototype.close.call(this.server, () => resolve())
    )
    for (const [socket, connection] of this.connections) this.closeWhenQuiet(socket, connection)
    const force = setTimeout(() => this.server.closeAllConnections(), timeoutMs)
    await closed
    clearTimeout(force)
  }

  /**
   * Counts a new TCP connection, by its client's address, until it closes; refuses it when it is
   * over the limits: 503 TOO_MANY_CONNECTIONS (plain HTTP; over TLS nothing can be said before a
   * handshake, so it is closed), its requests never served, the connection closed once the
   * answer is out.
   */
  private admit(socket: Socket, tls: boolean): void {
    // As the log names it: an IPv4 client of a dual-stack socket without its `::ffff:`.
    const address = plainAddress(socket.remoteAddress ?? '')
    const fromHere = (this.openBy.get(address) ?? 0) + 1
    this.open++
    this.openBy.set(address, fromHere)
    socket.once('close', () => {
      this.open--
      const left = (this.openBy.get(address) ?? 1) - 1
      if (left > 0) this.openBy.set(address, left)
      else this.openBy.delete(address)
    })
    const { total, perClient } = this.limits
    const peerRoom = this.peerAddresses.has(address) && this.open <= total + PEER_ROOM
    const over =
      this.open > total && !peerRoom
        ? `this node holds ${total} connections open at most (--max-connections)`
        : fromHere > perClient && !this.exempt.has(address) && !this.peerAddresses.has(address)
          ? `this node holds ${perClient} connections from one address open at most (--max-connections-per-client)`
          : undefined
    if (!over) return
    // Room is made by closing the connection idle longest (from this address when its share is
    // what is full): one kept alive between requests holds nothing, and a client opens another
    // when it needs one. A process that only opened connections and left them idle held every
    // local client out.
    if (this.closeIdle(this.open > total ? undefined : address)) return
    this.refused.add(socket)
    this.noteRefusal(address, over)
    const linger = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref()
    socket.once('close', () => clearTimeout(linger))
    socket.on('error', () => undefined) // a reset from a client that did not wait: nothing to do
    if (tls) return void socket.destroy()
    const message = `Too many connections: ${over}. Close idle ones, or try again shortly`
    const { headers, body } = refusal(503, 'TOO_MANY_CONNECTIONS', message)
    // Whatever the client sends is read and dropped: a close with unread data would be a reset,
    // which can reach the client before the answer does.
    socket.resume()
    socket.end(rawAnswer(503, { ...headers, 'retry-after': '1' }, body))
  }

  /**
   * Closes the client connection (of `address`, if given) that carried a request and has been idle
   * the longest, at least reclaimIdleMs; false when there is none (every one busy, used a moment
   * ago, or never used yet). Peers' are kept.
   */
  private closeIdle(address?: string): boolean {
    let oldest: [Socket, Connection] | undefined
    const idleBefore = performance.now() - this.reclaimIdleMs
    for (const entry of this.connections) {
      const [, c] = entry
      if (c.inFlight > 0 || c.served === 0 || c.peer || c.idleSince > idleBefore) continue
      if (address !== undefined && c.address !== address) continue
      if (!oldest || c.idleSince < oldest[1].idleSince) oldest = entry
    }
    if (!oldest) return false
    oldest[0].destroy()
    return true
  }

  /** The first refusal is logged at once; later ones at most every REFUSALS_LOG_EVERY_MS. */
  private noteRefusal(address: string, why: string): void {
    const now = performance.now()
    this.refusals.unlogged++
    if (now - this.refusals.loggedAt < REFUSALS_LOG_EVERY_MS) return
    this.log.warn(
      { remote: address, refused: this.refusals.unlogged, open: this.open },
      `connections refused: ${why}`
    )
    this.refusals = { unlogged: 0, loggedAt: now }
  }

  private track(connection: Connection, socket: Socket, res: ServerResponse): void {
    connection.inFlight++
    connection.served++
    clearTimeout(connection.quiet)
    res.once('close', () => {
      connection.inFlight--
      if (connection.inFlight === 0) connection.idleSince = performance.now()
      if (this.draining) this.closeWhenQuiet(socket, connection)
    })
  }

  private closeWhenQuiet(socket: Socket, connection: Connection): void {
    if (connection.inFlight > 0 || (connection.peer && !this.closingPeers)) return
    clearTimeout(connection.quiet)
    connection.quiet = setTimeout(() => {
      if (connection.inFlight === 0) socket.destroy()
    }, this.quietMs)
  }

  /**
   * Puts the request's target in origin form (see originForm); refuses one that is no path, and a
   * Host header that is no host name and port: the request's URL is made of them, and a URL that
   * cannot be made failed inside the router, before its stages, as a 500 in plain text.
   */
  private inOriginForm(req: IncomingMessage, res: ServerResponse): boolean {
    const target = originForm(req.url ?? '/')
    if (target === undefined) {
      this.refuse(req, res, 400, 'BAD_REQUEST', 'The request target is not a path this node serves')
      return false
    }
    if (req.headers.host !== undefined && !isAuthority(req.headers.host)) {
      const message = 'The Host header is not a host name (or address) with an optional port'
      this.refuse(req, res, 400, 'BAD_REQUEST', message)
      return false
    }
    req.url = target
    return true
  }

  /** A declared body over the limit is refused before a byte of it is read. */
  private declaresTooMuch(req: IncomingMessage): boolean {
    const length = req.headers['content-length']
    return length !== undefined && Number(length) > this.limitOf(req)
  }

  private limitOf(req: IncomingMessage): number {
    return this.bodyLimit(req.method ?? 'GET', (req.url ?? '/').split('?')[0])
  }

  private refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
    const { status, code, message } = tooLarge(this.limitOf(req))
    this.refuse(req, res, status, code, message)
  }

  private refuseUncertifiedPeer(req: IncomingMessage, res: ServerResponse): void {
    const reason = (req.socket as TLSSocket).authorizationError?.message ?? 'no certificate'
    this.log.warn(
      { remote: req.socket.remoteAddress, url: req.url, reason },
      "a peer's request without a certificate the company CA (--tls-ca) signed: refused"
    )
    const message = `A node's request needs a client certificate signed by this network's CA (--tls-ca); this one came with none it signed (${reason})`
    this.refuse(req, res, 401, 'UNAUTHENTICATED', message)
  }

  /** Answers a request node:http could not parse (see 'clientError'), and closes the connection. */
  private refuseUnparsed(err: NodeJS.ErrnoException, socket: Socket): void {
    // As Node's own handler: nothing is written over an answer already begun on this connection.
    const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
    if (err.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
      return void socket.destroy()
    }
    const [code, message] = UNPARSED[err.code ?? ''] ?? UNPARSED.default
    const status = ERROR_STATUS[code]
    const { requestId, headers, body } = refusal(status, code, message)
    // Written, then closed both ways, as Node's own handler does: a request whose body was still
    // coming (a 408) must not go on to its handler once refused.
    socket.pause()
    socket.write(rawAnswer(status, headers, body), () => socket.destroy())
    this.log.info(
      { requestId, status, remote: socket.remoteAddress, reason: err.code },
      'request refused before it could be read'
    )
  }

  /** Answers before the request reaches the router, and closes the connection. */
  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    code: string,
    message: string
  ): void {
    const { requestId, headers, body } = refusal(status, code, message)
    res.writeHead(status, headers)
    res.end(body)
    this.log.info({ requestId, method: req.method, url: req.url, status, ms: 0 }, 'request')
  }
}
