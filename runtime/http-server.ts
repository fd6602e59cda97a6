// The node's HTTP server (node:http): the limits that must hold before a request is read.
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { MAX_BODY_BYTES, tooLarge } from './input.ts'

type Listener = (req: IncomingMessage, res: ServerResponse) => void

/** A declared body over the limit is refused before a byte of it is read. */
function declaresTooMuch(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return length !== undefined && Number(length) > MAX_BODY_BYTES
}

/**
 * The HTTP server a node listens with. A body declared larger than the limit gets its 413 at once,
 * with Connection: close (node:http would otherwise read the whole body to keep the connection).
 */
export class HttpServer {
  readonly server: Server

  constructor(
    listener: Listener,
    private readonly log: Logger
  ) {
    const serve: Listener = (req, res) => {
      if (declaresTooMuch(req)) return this.refuseTooLarge(req, res)
      listener(req, res)
    }
    this.server = createServer(serve)
    // `Expect: 100-continue` (curl sends it for large bodies): say no before the body is sent.
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (declaresTooMuch(req)) return this.refuseTooLarge(req, res)
      res.writeContinue()
      serve(req, res)
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
