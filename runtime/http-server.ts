// The node's HTTP server (node:http): the limits that must hold before a request is read, and a
// stop that closes every connection between two requests, never under one.
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net'
import type { Logger } from 'pino'
import { MAX_BODY_BYTES, tooLarge } from './input.ts'

/** Once the node stops, a connection with no request for this long is closed. */
const QUIET_MS = 200

type Listener = (req: IncomingMessage, res: ServerResponse) => void

interface Connection {
  inFlight: number
  /** It carried a peer's request: kept until the node has left the network (see drainClients). */
  peer: boolean
  quiet?: NodeJS.Timeout
}

/** A declared body over the limit is refused before a byte of it is read. */
function declaresTooMuch(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return length !== undefined && Number(length) > MAX_BODY_BYTES
}

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

  constructor(
    listener: Listener,
    private readonly log: Logger
  ) {
    const serve: Listener = (req, res) => {
      if (declaresTooMuch(req)) return this.refuseTooLarge(req, res)
      const connection = this.connections.get(req.socket)
      if (connection) this.track(connection, req.socket, res)
      listener(req, res)
    }
    this.server = createServer(serve)
    // `Expect: 100-continue` (curl sends it for large bodies): say no before the body is sent.
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (declaresTooMuch(req)) return this.refuseTooLarge(req, res)
      res.writeContinue()
      serve(req, res)
    })
    this.server.on('connection', (socket: Socket) => {
      const connection: Connection = { inFlight: 0, peer: false }
      this.connections.set(socket, connection)
      socket.once('close', () => {
        clearTimeout(connection.quiet)
        this.connections.delete(socket)
      })
      if (this.draining) this.closeWhenQuiet(socket, connection)
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

  private track(connection: Connection, socket: Socket, res: ServerResponse): void {
    connection.inFlight++
    clearTimeout(connection.quiet)
    res.once('close', () => {
      connection.inFlight--
      if (this.draining) this.closeWhenQuiet(socket, connection)
    })
  }

  private closeWhenQuiet(socket: Socket, connection: Connection): void {
    if (connection.inFlight > 0 || (connection.peer && !this.closingPeers)) return
    clearTimeout(connection.quiet)
    connection.quiet = setTimeout(() => {
      if (connection.inFlight === 0) socket.destroy()
    }, QUIET_MS)
  }

  private refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
    const requestId = randomUUID()
    const { status, code, message } = tooLarge()
    const body = JSON.stringify({ status, error: message, code })
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-request-id': requestId,
      connection: 'close',
    })
    res.end(body)
    this.log.info({ requestId, method: req.method, url: req.url, status, ms: 0 }, 'request')
  }
}
