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
}

/** Sends one request and reads the whole answer; rejects with Node's error (err.code). */
export async function send(url: URL, { method, headers, body, signal }: Sent): Promise<Answer> {
  const request = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest
  const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...length }, signal }, (res) => {
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
