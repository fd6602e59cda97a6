// The client's only door to the node: JSON over fetch, with a timeout per attempt, bounded retries
// for answers that never came, and one Idempotency-Key per write, reused on every retry, so a
// receipt whose answer was lost is applied once however often it is sent.
import { randomUUID } from 'node:crypto'
import { NodeRefusal, NodeUnreachable, networkReason } from './errors.ts'

/** Something that shows a call is in progress (a spinner on a terminal); all optional. */
export interface Progress {
  start(): void
  update(text: string): void
  stop(): void
}

export interface ApiOptions {
  url: string
  /** Per attempt, from sending to the last byte of the answer. */
  timeoutMs?: number
  /** Tries per call before giving up (network errors, timeouts, 503 and 504 only). */
  attempts?: number
  /** Wait before the second try; doubled each time, at most 2 s. */
  backoffMs?: number
  progress?: Progress
  /** Asked when every try failed: resolve true to try again (same key), false to give up. */
  onUnreachable?: (err: NodeUnreachable) => Promise<boolean>
}

export type Query = Record<string, string | number | boolean | undefined>

export interface Api {
  readonly url: string
  get<T>(path: string, query?: Query): Promise<T>
  /**
   * `key` defaults to a fresh UUID; pass one to make a whole script step idempotent, or null to
   * send none, for a request that is safe to repeat as it is (join, leave): then a lost answer is
   * not reported as an outcome to retry with a key.
   */
  post<T>(path: string, body: unknown, key?: string | null): Promise<T>
  patch<T>(path: string, body: unknown, key?: string): Promise<T>
  /** The same node with one short try and no progress or retry prompt: for lookups as you type. */
  quiet(): Api
}

type Failure = { done: false; reason: string; wait: number; busy: boolean }
type Attempt = { done: true; status: number; body: any } | Failure

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function parse(text: string): any {
  try {
    return text ? JSON.parse(text) : undefined
  } catch {
    return undefined // not JSON (a proxy's error page): never shown raw
  }
}

export function createApi(options: ApiOptions): Api {
  const url = options.url.replace(/\/+$/, '')
  const { timeoutMs = 10_000, attempts = 4, backoffMs = 250, progress } = options

  async function attempt(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string
  ): Promise<Attempt> {
    try {
      const signal = AbortSignal.timeout(timeoutMs)
      const response = await fetch(url + path, { method, headers, body, signal })
      const parsed = parse(await response.text())
      if (response.status !== 503 && response.status !== 504) {
        return { done: true, status: response.status, body: parsed }
      }
      const retryAfter = Number(response.headers.get('retry-after')) * 1000 || 0
      const said = typeof parsed?.error === 'string' ? parsed.error : response.statusText
      return { done: false, reason: said, wait: Math.min(retryAfter, 2000), busy: true }
    } catch (err) {
      return { done: false, reason: networkReason(err, timeoutMs), wait: 0, busy: false }
    }
  }

  async function call<T>(
    method: string,
    path: string,
    payload?: unknown,
    key?: string | null
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    const body = payload === undefined ? undefined : JSON.stringify(payload)
    // Even with no body: the node refuses a request that changes something in any other type.
    if (method !== 'GET') headers['content-type'] = 'application/json'
    if (method !== 'GET' && key !== null) headers['idempotency-key'] = key ?? randomUUID()
    progress?.start()
    try {
      for (;;) {
        let last: Failure = { done: false, reason: 'not tried', wait: 0, busy: false }
        for (let n = 1; n <= attempts; n++) {
          if (n > 1) {
            progress?.update(`${last.reason}; trying again (${n} of ${attempts})…`)
            await sleep(Math.max(last.wait, Math.min(backoffMs * 2 ** (n - 2), 2000)))
          }
          const result = await attempt(method, path, headers, body)
          if (result.done) return settle<T>(result.status, result.body)
          last = result
        }
        const key = headers['idempotency-key']
        const unreachable = new NodeUnreachable(url, last.reason, key, last.busy)
        progress?.stop()
        if (!(await options.onUnreachable?.(unreachable))) throw unreachable
        progress?.start()
      }
    } finally {
      progress?.stop()
    }
  }

  return {
    url,
    get<T>(path: string, query: Query = {}) {
      const search = new URLSearchParams()
      for (const [name, value] of Object.entries(query)) {
        if (value !== undefined && value !== '') search.set(name, String(value))
      }
      const qs = search.size ? `?${search}` : ''
      return call<T>('GET', path + qs)
    },
    post: (path, body, key) => call('POST', path, body, key),
    patch: (path, body, key) => call('PATCH', path, body, key),
    quiet: () => createApi({ url, timeoutMs: Math.min(timeoutMs, 3000), attempts: 1 }),
  }
}

/** A 2xx is the result; anything else becomes a NodeRefusal carrying the node's sentence. */
function settle<T>(status: number, body: any): T {
  if (status >= 200 && status < 300) return body as T
  const message = typeof body?.error === 'string' ? body.error : `the node answered HTTP ${status}`
  const code = typeof body?.code === 'string' ? body.code : `HTTP_${status}`
  throw new NodeRefusal(status, code, message, body?.details)
}

/** Path segment for a SKU. */
export const skuPath = (sku: string) => encodeURIComponent(sku)
