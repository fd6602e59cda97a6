// The client's only door to the node: JSON over HTTP, with a timeout per attempt, retries for
// answers that never came (so many tries, or until a deadline, or until Ctrl-C), and one
// Idempotency-Key per write, reused on every retry, so a receipt whose answer was lost is applied
// once however often it is sent.
import { randomUUID } from 'node:crypto'
import { ADMIN_TOKEN_FILE } from '../api/access.ts'
import {
  HUNG_UP,
  Interrupted,
  isCertificateError,
  isFileError,
  LocalFileError,
  NodeRefusal,
  NodeUnreachable,
  networkReason,
  type Unreachable,
  type RefusalCode,
} from './errors.ts'
import { receiveFile, send, speaksTls, type Sent } from './http-request.ts'
import { tokenNow, type TokenSource } from './token.ts'

/** Something that shows a call is in progress (a spinner on a terminal); all optional. */
export interface Progress {
  start(): void
  update(text: string): void
  stop(): void
}

export interface ApiOptions {
  url: string
  /**
   * Sent as `Authorization: Bearer`: the node refuses its client routes without one. The local
   * node's is read before each try (client/token.ts), and sent only while it listens there.
   */
  token?: TokenSource
  /** The CA (PEM) an https:// node's certificate may be signed by (--ca). */
  ca?: string
  /** What to call the node when it is slow to answer (default: "The node at URL"). */
  name?: string
  /** Per attempt, from sending to the last byte of the answer. */
  timeoutMs?: number
  /**
   * Tries per call before giving up (network errors, timeouts, 503 and 504 only). Infinity keeps
   * trying until `deadlineMs` or an interrupt (the menus, where Ctrl-C goes back).
   */
  attempts?: number
  /** Gives up when no answer came within this long of the call's start, whatever the tries. */
  deadlineMs?: number
  /** Wait before the second try; doubled each time, at most 2 s. */
  backoffMs?: number
  /** From this long without an answer, the progress says so, every second. */
  slowMs?: number
  /**
   * Said after "still trying…": what the person can do about it ("Ctrl-C to go back"); or made
   * from the call's own deadline in ms (a long poll's is longer by its hold).
   */
  hint?: string | ((deadlineMs: number) => string)
  progress?: Progress
  /** Asked when every try failed: resolve true to try again (same key), false to give up. */
  onUnreachable?: (err: NodeUnreachable) => Promise<boolean>
  /**
   * Ctrl-C while a call waits: called with a function that stops the call (which then throws
   * Interrupted); returns the function that stops listening, called when the call ends.
   */
  interrupts?: (stop: () => void) => () => void
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
  post<T>(path: string, body: unknown, key?: string | null, hold?: Hold): Promise<T>
  /**
   * POST to a route that takes no Idempotency-Key and is not safe to send twice (a token made, a
   * backup taken): sent again only when it never reached the node (the connection was refused).
   * A try whose outcome is unknown throws NodeUnreachable carrying `check`, what to look at
   * before asking again.
   */
  postOnce<T>(path: string, body: unknown, check: string): Promise<T>
  patch<T>(path: string, body: unknown, key?: string): Promise<T>
  /**
   * DELETE with a fresh Idempotency-Key, reused on every retry: a retry after a lost answer gets
   * the first answer, not a "no such" for what it removed. null for a route that takes no key
   * (what it removes stays removed: a retry is refused, never applied twice).
   */
  delete<T>(path: string, key?: null): Promise<T>
  /** POST of a body as text in its own type (a CSV file), with a fresh key as post. */
  postText<T>(path: string, text: string, type: string, key?: string): Promise<T>
  /** GET of an answer as text, not JSON (an export); refusals are still NodeRefusals. */
  getText(path: string, query?: Query): Promise<string>
  /**
   * The same node with one try and no progress or retry prompt: for lookups as you type, a try
   * of at most 3 s; `patient`, of the ordinary timeout (a look-up the person pressed Enter for).
   */
  quiet(patient?: 'patient'): Api
  /**
   * A file the node serves (GET `path`), written into `file`: one try, however long it takes,
   * given up once nothing comes for the per-attempt timeout.
   */
  download(path: string, file: string): Promise<{ bytes: number }>
}

/**
 * A call the node may hold before it answers (a long poll's `waitMs`): each try's timeout and
 * the deadline are that much longer, so a healthy node that is waiting, as asked, is not taken
 * for one that does not answer.
 */
export interface Hold {
  holdMs: number
}

/**
 * `final`: trying again cannot help (the node's certificate is not trusted, or it serves HTTPS
 * only); `why`: how the failure is said if it is the last (NodeUnreachable).
 */
type Failure = {
  done: false
  reason: string
  wait: number
  final?: boolean
  why?: Unreachable
  /** The request never reached the node (no connection was made): sending it again is safe. */
  unsent?: boolean
}
type Attempt = { done: true; status: number; body: any; text: string } | Failure

/** What a call sends and reads besides JSON: a body of another type, an answer kept as text. */
interface Form extends Partial<Hold> {
  text?: { body: string; type: string }
  answerAsText?: boolean
  /** Not safe to send twice: see Api.postOnce. */
  once?: string
}

/** Network errors from before a connection was made: the request never left. */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

/**
 * The node's own 503s and 504s that say it did nothing (not ready, restoring, stopping, too busy
 * to take it, its deadline gone before the worker began): as good as never sent. Not
 * DB_UNAVAILABLE nor DB_TIMEOUT: a write in flight then may or may not have been applied.
 */
const NOTHING_DONE = new Set([
  'NOT_READY',
  'NODE_STOPPING',
  'RESTORING',
  'BUSY',
  'DB_BUSY',
  'VERIFY_BUSY',
  'TOO_MANY_CONNECTIONS',
  'EXPIRED',
])

/**
 * An answer that is not the node's own (its errors are JSON with a code): a proxy in front of it
 * (502, 503, 504 from nginx or a TLS terminator) answering for a node that went away, perhaps
 * after it wrote. Its outcome is unknown, as a lost answer's.
 */
const fromProxy = (status: number, parsed: any) => status >= 500 && typeof parsed?.code !== 'string'

/** 2.5 for 2500 ms: a tenth of a second is as fine as a person reads it. */
const seconds = (ms: number) => Math.round(ms / 100) / 10

/** Waits `ms`, or less if `signal` aborts first. */
function sleep(ms: number, signal: AbortSignal) {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}

function parse(text: string): any {
  try {
    return text ? JSON.parse(text) : undefined
  } catch {
    return undefined // not JSON (a proxy's error page): never shown raw
  }
}

export function createApi(options: ApiOptions): Api {
  const url = options.url.replace(/\/+$/, '')
  const { timeoutMs = 10_000, attempts = 4, backoffMs = 250, slowMs = 3000, progress } = options
  const { deadlineMs = Infinity, name = `The node at ${url}`, hint } = options

  /**
   * Whether an attempt on an http:// URL hung up on (`reason`) reached a node that serves HTTPS
   * only: a TLS server closes a plain request unanswered, as a node that died mid-answer would.
   */
  async function servesHttps(reason: string): Promise<boolean> {
    const target = new URL(url)
    return reason === HUNG_UP && target.protocol === 'http:' && (await speaksTls(target))
  }

  async function attempt(
    request: Omit<Sent, 'signal'>,
    path: string,
    waitMs: number,
    stop: AbortSignal
  ): Promise<Attempt> {
    const attemptStop = new AbortController()
    const onStop = () => attemptStop.abort()
    stop.addEventListener('abort', onStop, { once: true })
    let timedOut = false
    const timer = setTimeout(function noAnswer() {
      timedOut = true
      attemptStop.abort()
    }, waitMs)
    try {
      const answer = await send(new URL(url + path), {
        ...request,
        signal: attemptStop.signal,
        ca: options.ca,
      })
      const parsed = parse(answer.text)
      const proxy = fromProxy(answer.status, parsed)
      if (answer.status !== 503 && answer.status !== 504 && !proxy) {
        return { done: true, status: answer.status, body: parsed, text: answer.text }
      }
      const retryAfter = Number(answer.headers['retry-after']) * 1000 || 0
      const wait = Math.min(retryAfter, 2000)
      if (proxy) {
        const reason = `HTTP ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}`
        return { done: false, reason, wait, why: 'proxy' }
      }
      const said = typeof parsed?.error === 'string' ? parsed.error : answer.statusText
      return { done: false, reason: said, wait, why: 'busy', unsent: NOTHING_DONE.has(parsed.code) }
    } catch (err) {
      const reason = timedOut ? `no answer within ${seconds(waitMs)} s` : networkReason(err)
      // Asked again, a node that serves HTTPS only would hang up again: said at once.
      const https = await servesHttps(reason)
      const untrusted = isCertificateError(err)
      const code = (err as { code?: unknown })?.code
      return {
        done: false,
        reason,
        wait: 0,
        unsent: !timedOut && typeof code === 'string' && NEVER_SENT.has(code),
        final: untrusted || https,
        why: https ? 'https' : untrusted ? 'untrusted' : timedOut ? 'silent' : undefined,
      }
    } finally {
      clearTimeout(timer)
      stop.removeEventListener('abort', onStop)
    }
  }

  async function call<T>(
    method: string,
    path: string,
    payload?: unknown,
    key?: string | null,
    form: Form = {}
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    /** Whether the last try sent a token (the local node's is asked again before each). */
    const authorize = () => {
      const token = tokenNow(options.token)
      if (token) headers.authorization = `Bearer ${token}`
      else delete headers.authorization
      return Boolean(token)
    }
    let sentToken = false
    const body = form.text?.body ?? (payload === undefined ? undefined : JSON.stringify(payload))
    // Even with no body: the node refuses a request that changes something in any other type.
    if (method !== 'GET') headers['content-type'] = form.text?.type ?? 'application/json'
    if (method !== 'GET' && key !== null) headers['idempotency-key'] = key ?? randomUUID()
    const sentKey = headers['idempotency-key']
    const stop = new AbortController()
    const stopListening = options.interrupts?.(() => stop.abort())
    let since = Date.now()
    let last: Failure = { done: false, reason: 'not tried', wait: 0 }
    // A call without an answer for a few seconds says so, and how long it has been, every second.
    // A call the node holds (a long poll) is slow only past its hold, and has that much longer.
    const hold = form.holdMs ?? 0
    const said = typeof hint === 'function' ? hint(deadlineMs + hold) : hint
    const tell = () => {
      const waited = Math.round((Date.now() - since) / 1000)
      const why = last.reason === 'not tried' ? '' : ` (${last.reason})`
      progress?.update(
        `${name} has not answered for ${waited} s${why}; still trying…${said ? ` ${said}` : ''}`
      )
    }
    let ticking: NodeJS.Timeout | undefined
    const slow = setTimeout(function slowCall() {
      tell()
      ticking = setInterval(tell, 1000)
    }, slowMs + hold)
    progress?.start()
    try {
      for (;;) {
        for (let n = 1; n <= attempts && !stop.signal.aborted; n++) {
          if (n > 1) {
            const wait = Math.max(last.wait, Math.min(backoffMs * 2 ** (n - 2), 2000))
            // A wait that would end past the deadline is not waited: --timeout is the most a
            // call takes in all.
            if (wait >= deadlineMs + hold - (Date.now() - since)) break
            await sleep(wait, stop.signal)
          }
          const left = deadlineMs + hold - (Date.now() - since)
          if (left <= 0 || stop.signal.aborted) break
          sentToken = authorize()
          const request = { method, headers, body }
          const result = await attempt(request, path, Math.min(timeoutMs + hold, left), stop.signal)
          if (result.done) {
            const ok = result.status >= 200 && result.status < 300
            if (ok && form.answerAsText) return result.text as T
            return settle<T>(result.status, result.body, !sentToken)
          }
          last = result
          if (result.final) break
          // Not safe to send twice, and perhaps done: said, never sent again.
          if (form.once !== undefined && !result.unsent && !stop.signal.aborted) {
            throw new NodeUnreachable(url, result.reason, undefined, result.why, form.once)
          }
        }
        if (stop.signal.aborted) throw new Interrupted(method !== 'GET', sentKey)
        const unreachable = new NodeUnreachable(url, last.reason, sentKey, last.why)
        progress?.stop()
        if (!(await options.onUnreachable?.(unreachable))) throw unreachable
        progress?.start()
        since = Date.now()
      }
    } finally {
      clearTimeout(slow)
      clearInterval(ticking)
      stopListening?.()
      progress?.stop()
    }
  }

  const withQuery = (path: string, query: Query) => {
    const search = new URLSearchParams()
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') search.set(name, String(value))
    }
    return search.size ? `${path}?${search}` : path
  }

  return {
    url,
    get: <T>(path: string, query: Query = {}) => call<T>('GET', withQuery(path, query)),
    getText: (path, query = {}) =>
      call<string>('GET', withQuery(path, query), undefined, undefined, { answerAsText: true }),
    post: (path, body, key, hold) => call('POST', path, body, key, hold),
    postOnce: (path, body, check) => call('POST', path, body, null, { once: check }),
    async download(path, file) {
      const stop = new AbortController()
      const stopListening = options.interrupts?.(() => stop.abort())
      try {
        const headers: Record<string, string> = {
          accept: 'application/octet-stream, application/json',
        }
        const token = tokenNow(options.token)
        if (token) headers.authorization = `Bearer ${token}`
        const answer = await receiveFile(
          new URL(url + path),
          { headers, signal: stop.signal, ca: options.ca, idleMs: timeoutMs },
          file
        )
        if (answer.status !== 200) settle(answer.status, parse(answer.text), !token)
        return { bytes: answer.bytes }
      } catch (err) {
        if (err instanceof NodeRefusal) throw err
        if (stop.signal.aborted) throw new Interrupted(false, undefined)
        // The file here could not be written: the node answered, and is not to blame.
        if (isFileError(err)) throw new LocalFileError(file, err)
        const reason = networkReason(err)
        const why = isCertificateError(err)
          ? 'untrusted'
          : (await servesHttps(reason))
            ? 'https'
            : undefined
        throw new NodeUnreachable(url, reason, undefined, why)
      } finally {
        stopListening?.()
      }
    },
    postText: (path, text, type, key) =>
      call('POST', path, undefined, key, { text: { body: text, type } }),
    patch: (path, body, key) => call('PATCH', path, body, key),
    delete: (path, key) => call('DELETE', path, undefined, key),
    quiet: (patient) =>
      createApi({
        url,
        token: options.token,
        ca: options.ca,
        timeoutMs: patient ? timeoutMs : Math.min(timeoutMs, 3000),
        attempts: 1,
      }),
  }
}

/** A 2xx is the result; anything else becomes a NodeRefusal carrying the node's sentence. */
function settle<T>(status: number, body: any, tokenless = false): T {
  if (status >= 200 && status < 300) return body as T
  const message =
    status === 401 && tokenless
      ? NO_TOKEN
      : typeof body?.error === 'string'
        ? body.error
        : `the node answered HTTP ${status}`
  const code: RefusalCode = typeof body?.code === 'string' ? body.code : `HTTP_${status}`
  throw new NodeRefusal(status, code, message, body?.details)
}

/** A node asked for a token, and the client had none to send (client/token.ts). */
const NO_TOKEN =
  'This needs an API token, and none was given: pass one with --token or ALMACEN_TOKEN. For a ' +
  `node on this machine (a 127.x or [::1] URL, not localhost) the client reads its first admin token from ${ADMIN_TOKEN_FILE} in the ` +
  "node's data directory (./data from where you are, or the directory ALMACEN_DATA_DIR names), " +
  'and sends it only to the address and port that node listens on, while it runs'

/** Path segment for a SKU. */
export const skuPath = (sku: string) => encodeURIComponent(sku)
