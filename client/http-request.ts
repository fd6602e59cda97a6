// One HTTP exchange over node:http. fetch would do as well, but loading it (undici) took about
// 0.1 s of CPU at each start of a one-shot command, a third of the whole command.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'

export interface Answer {
  status: number
  statusText: string
  headers: IncomingHttpHeaders
  text: string
}

export interface Sent {
  method: string
  headers: Record<string, string>
  body?: string
  signal: AbortSignal
  /** The CA (PEM) an https:// node's certificate must be signed by, beside the public ones. */
  ca?: string
}

/**
 * node:http or node:https by the URL's scheme (https loaded only when used); over TLS, the company
 * CA trusted besides the public ones (a certificate from either is believed).
 */
async function transport(url: URL, ca: string | undefined) {
  if (url.protocol !== 'https:') return { request: httpRequest, trust: {} }
  const { request } = await import('node:https')
  const trust = ca ? { ca: [...(await import('node:tls')).rootCertificates, ca] } : {}
  return { request, trust }
}

/**
 * Whether what listens at an http:// URL's host and port speaks TLS: a handshake, nothing sent
 * over it, answered by a server (its certificate is not judged: this only chooses a hint).
 */
export async function speaksTls(url: URL, timeoutMs = 2000): Promise<boolean> {
  const { connect } = await import('node:tls')
  return new Promise((resolve) => {
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const socket = connect({ host, port: Number(url.port || 80), rejectUnauthorized: false })
    const done = (tls: boolean) => (socket.destroy(), resolve(tls))
    socket.once('secureConnect', () => done(true))
    // A server that asks for a client certificate may end the handshake with an alert: TLS too.
    // (A plain HTTP server answers the hello with text: "wrong version number", not TLS.)
    const alert = /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_/
    socket.once('error', (err: { code?: string }) => done(alert.test(err.code ?? '')))
    socket.setTimeout(timeoutMs, () => done(false))
  })
}

/** Sends one request and reads the whole answer; rejects with Node's error (err.code). */
export async function send(url: URL, { method, headers, body, signal, ca }: Sent): Promise<Answer> {
  const { request, trust } = await transport(url, ca)
  const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }
  return new Promise((resolve, reject) => {
    const options = { method, headers: { ...headers, ...length }, signal, ...trust }
    const req = request(url, options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('close', function cutShort() {
        // An answer cut off halfway (the node died, or the proxy dropped it): never half a body.
        if (!res.complete)
          reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      })
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        })
      )
    })
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * A GET whose 200 answer is written into `file` as it comes (a backup is larger than memory
 * should hold), under `file.partial` until its last byte, so that a cut-off download never
 * leaves a file that looks whole. Any other answer is read whole, as `send` reads it.
 */
export async function receiveFile(
  url: URL,
  { headers, signal, ca, idleMs }: Omit<Sent, 'method' | 'body'> & { idleMs: number },
  file: string
): Promise<Answer & { bytes: number }> {
  const [{ createWriteStream }, { rename, rm }, { pipeline }] = await Promise.all([
    import('node:fs'),
    import('node:fs/promises'),
    import('node:stream/promises'),
  ])
  const { request, trust } = await transport(url, ca)
  const partial = `${file}.partial`
  await rm(partial, { force: true }) // see below: the file is made afresh
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, signal, ...trust }, (res) => {
      const answer = {
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        headers: res.headers,
      }
      if (answer.status !== 200) {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () =>
          resolve({ ...answer, text: Buffer.concat(chunks).toString('utf8'), bytes: 0 })
        )
        return
      }
      let bytes = 0
      res.on('data', (chunk: Buffer) => (bytes += chunk.length))
      // Private, as the node keeps its own copies: a backup holds the users and their tokens'
      // hashes. Made afresh (wx): a .partial a killed client left, or one someone else put there
      // (a file they can read, or a link to one), was removed before asking, never written into.
      pipeline(res, createWriteStream(partial, { mode: 0o600, flags: 'wx' }))
        .then(() => {
          if (!res.complete)
            throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
          return rename(partial, file)
        })
        .then(() => resolve({ ...answer, text: '', bytes }))
        .catch(async (err) => {
          await rm(partial, { force: true })
          reject(err)
        })
    })
    // However large the copy, a node that sends nothing for this long has stalled: given up, as
    // a call that goes unanswered is, rather than leaving a backup job waiting for ever.
    req.setTimeout(idleMs, () =>
      req.destroy(
        Object.assign(new Error(`nothing came for ${idleMs / 1000} s`), { code: 'ETIMEDOUT' })
      )
    )
    req.on('error', reject)
    req.end()
  })
}
