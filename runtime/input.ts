import type { z } from 'zod'
import { HttpError, type FieldProblem } from './errors.ts'

/** Largest request body the node reads; stock messages are a few hundred bytes. */
export const MAX_BODY_BYTES = 64 * 1024

/** The most a route may declare it reads (`maxBodyBytes`): a whole file, never unbounded. */
export const MAX_ROUTE_BODY_BYTES = 16 * 1024 * 1024

function problemsOf(error: z.ZodError): FieldProblem[] {
  const problems: FieldProblem[] = []
  for (const issue of error.issues) {
    const at = issue.path.map(String).join('.')
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: at ? `${at}.${key}` : key, message: 'is not a known field' })
      }
    } else {
      problems.push({ path: at, message: issue.message })
    }
  }
  return problems
}

/** 400 VALIDATION_FAILED listing every problem, summed up in the message. */
function invalid(where: string, details: FieldProblem[]): HttpError {
  const summary = details.map((p) => (p.path ? `${p.path} ${p.message}` : p.message)).join('; ')
  return new HttpError('VALIDATION_FAILED', `Invalid ${where}: ${summary}`, { details })
}

/** Validates a value against a schema, refusing with 400 VALIDATION_FAILED and one detail per problem. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: string
): z.output<S> {
  const result = schema.safeParse(value)
  if (!result.success) throw invalid(where, problemsOf(result.error))
  return result.data
}

/**
 * For a route that declares no query: any parameter is refused, each named (a typo of one the
 * route takes elsewhere, or one meant for another route, is never silently ignored).
 */
export function refuseQuery(request: { query?: unknown }): void {
  const names = Object.keys((request.query ?? {}) as Record<string, unknown>)
  if (names.length === 0) return
  throw invalid(
    'query',
    names.map((path) => ({ path, message: 'is not taken by this route' }))
  )
}

/**
 * For a route that declares no body: nothing, or `{}`, and nothing else. A body that is not
 * JSON, or has fields, is refused before the route acts (a DELETE's `confirm`, say, meant for a
 * route that takes one, must not pass for consent here).
 */
export async function refuseBody(request: Request): Promise<void> {
  if (request.method === 'GET' || request.method === 'HEAD') return
  const text = await readText(request)
  if (text.trim() === '') return
  const value = parsedJson(text)
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value)
  const names = isObject ? Object.keys(value as object) : []
  if (isObject && names.length === 0) return
  throw invalid(
    'request body',
    names.length > 0
      ? names.map((path) => ({ path, message: 'is not taken by this route' }))
      : [{ path: '', message: 'must be empty or {}: this route takes no body' }]
  )
}

/** A body's text as JSON, or 400 INVALID_JSON saying why not. */
function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new HttpError('INVALID_JSON', `Request body is not valid JSON: ${(err as Error).message}`)
  }
}

// A body can be read once; the runtime may read it first (to check a peer's signature).
const bodies = new WeakMap<Request, Promise<string>>()

/**
 * Reads a body as UTF-8 text, refusing more than `limit` bytes (MAX_BODY_BYTES unless the route
 * declares its own); the same text on every call.
 */
export function readText(request: Request, limit = MAX_BODY_BYTES): Promise<string> {
  // A body the node would read as it came, not as its sender meant it (gzip taken as text).
  const encoding = request.headers.get('content-encoding')?.trim().toLowerCase()
  if (encoding && encoding !== 'identity') {
    return Promise.reject(
      new HttpError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding ${encoding} is not taken: send the body as it is, without an encoding`
      )
    )
  }
  // Every body is read as UTF-8: one said to be in another character set would be misread.
  // One charset at most, and that one UTF-8 (an empty one, or two, say nothing clear).
  const charsets = charsetsOf(request.headers.get('content-type') ?? '')
  const other = charsets.find((c) => !/^utf-?8$/.test(c))
  if (other !== undefined || charsets.length > 1) {
    const said = other === undefined ? charsets.join(' and ') : other || '(empty)'
    return Promise.reject(
      new HttpError(
        'UNSUPPORTED_MEDIA_TYPE',
        `charset ${said} is not taken: send the body as UTF-8 (charset=utf-8 once, or no charset)`
      )
    )
  }
  let text = bodies.get(request)
  if (!text) {
    text = readOnce(request, limit)
    bodies.set(request, text)
  }
  return text
}

async function readOnce(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? 0)
  if (declared > limit) throw tooLarge(limit)
  if (!request.body) return ''
  // Read by hand, not with for-await: leaving a for-await early returns the iterator, which
  // destroys the request stream and with it the socket (whatwg-node's body is the IncomingMessage),
  // so the 413 would never be sent. Left unread, the rest is dropped when the 413 closes the
  // connection.
  const chunks = (request.body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
  const parts: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await chunks.next().catch((err) => {
      throw request.signal?.aborted || isReset(err) ? clientClosed() : err
    })
    if (done) break
    size += value.byteLength
    if (size > limit) throw tooLarge(limit)
    parts.push(value)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(parts))
  } catch {
    throw new HttpError('INVALID_JSON', 'Request body is not valid UTF-8')
  }
}

function isReset(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ECONNRESET'
}

/** The client hung up before its body arrived: nobody is left to answer (see CLIENT_CLOSED). */
function clientClosed(): HttpError {
  return new HttpError('CLIENT_CLOSED', 'The client closed the request before sending all of it')
}

/** The 413 for a body over the limit; the connection closes after it (the rest is unread). */
export function tooLarge(limit = MAX_BODY_BYTES): HttpError {
  return new HttpError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limit} bytes`, {
    headers: { connection: 'close' },
  })
}

/** True for `application/json`, with or without parameters (`; charset=utf-8`). */
export function isJsonType(contentType: string): boolean {
  return isType(contentType, 'application/json')
}

/** The charsets a content type names (`text/plain; charset="UTF-16"` → [utf-16]), if any. */
function charsetsOf(contentType: string): string[] {
  const found: string[] = []
  for (const parameter of contentType.split(';').slice(1)) {
    const [name, ...value] = parameter.split('=')
    if (name.trim().toLowerCase() === 'charset') {
      found.push(
        value
          .join('=')
          .trim()
          .replace(/^"(.*)"$/, '$1')
          .toLowerCase()
      )
    }
  }
  return found
}

/** True when the content type is `type`, with or without parameters. */
export function isType(contentType: string, type: string): boolean {
  const [essence] = contentType.split(';')
  return essence.trim().toLowerCase() === type
}

/**
 * Reads a JSON body and validates it: 415 unless the content type is JSON, 413 when too large,
 * 400 INVALID_JSON when it does not parse, 400 VALIDATION_FAILED when it does not fit the schema.
 */
export async function readJson<S extends z.ZodType>(
  request: Request,
  schema: S,
  limit = MAX_BODY_BYTES
): Promise<z.output<S>> {
  const type = request.headers.get('content-type') ?? ''
  if (!isJsonType(type)) {
    throw new HttpError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type must be application/json${type ? `, not ${type}` : ''}`
    )
  }
  const text = await readText(request, limit)
  if (text.trim() === '')
    throw new HttpError('INVALID_JSON', 'Request body is empty; expected a JSON object')
  const value = parsedJson(text)
  const { deepest, repeated } = shapeOf(text)
  if (deepest > MAX_NESTING) {
    throw new HttpError(
      'VALIDATION_FAILED',
      `Request body is nested more than ${MAX_NESTING} levels deep`,
      { details: [{ path: '', message: `is nested more than ${MAX_NESTING} levels deep` }] }
    )
  }
  if (repeated !== undefined) {
    const problem = `is given twice in one object`
    throw new HttpError('VALIDATION_FAILED', `Request body: ${repeated} ${problem}`, {
      details: [{ path: repeated, message: problem }],
    })
  }
  // Raw bytes were checked as UTF-8 above; a lone surrogate can only come from a \u escape.
  if (text.includes('\\u')) refuseMalformedText(value)
  return validate(schema, value, 'request body')
}

/**
 * The most a JSON body may nest (arrays and objects in one another). JSON.parse takes far more,
 * but what is stored later is not: a message body 5,000 levels deep overflowed the stack of the
 * JSON.stringify that stores it, and one of 2,000 SQLite's JSON functions (a limit of 1,000):
 * each a 500, the second with the whole body in the worker's error log.
 */
export const MAX_NESTING = 100

/** How deep the arrays and objects of valid JSON text nest (brackets in strings aside). */
/**
 * How deep a JSON text nests, and the first key given twice in one object, if any (JSON.parse
 * keeps the last; a proxy or a log that reads the first would see another request). The text is
 * JSON already parsed: strings end where they should.
 */
function shapeOf(text: string): { deepest: number; repeated?: string } {
  let depth = 0
  let deepest = 0
  // Per open bracket down to MAX_NESTING: an object's keys so far, or null for an array.
  const keys: (Set<string> | null)[] = []
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      let end = i + 1
      let escaped = false
      while (end < text.length && text.charCodeAt(end) !== 0x22) {
        if (text.charCodeAt(end) === 0x5c) {
          escaped = true
          end += 2 // the escaped character with it
        } else end++
      }
      const object = expectKey ? keys[depth - 1] : null
      if (object) {
        // Read as JSON only when escaped: "\u0061" and "a" are one key.
        const key = escaped
          ? (JSON.parse(text.slice(i, end + 1)) as string)
          : text.slice(i + 1, end)
        if (object.has(key)) return { deepest, repeated: key }
        object.add(key)
      }
      expectKey = false
      i = end
    } else if (c === 0x7b || c === 0x5b) {
      deepest = Math.max(deepest, ++depth)
      if (depth <= MAX_NESTING + 1) keys[depth - 1] = c === 0x7b ? new Set() : null
      expectKey = c === 0x7b
    } else if (c === 0x7d || c === 0x5d) {
      depth--
      expectKey = false
    } else if (c === 0x2c) expectKey = keys[depth - 1] != null
  }
  return { deepest }
}

// In unicode mode a surrogate pair is one code point, so this matches only a lone half.
const LONE_SURROGATE = /\p{Surrogate}/u
const NOT_UNICODE = 'is not valid Unicode text (a lone surrogate)'

/**
 * Text must be Unicode that SQLite can store as it is hashed: a lone surrogate (`"\ud800"`, half
 * an emoji cut at a length limit) would be written as bytes that read back as U+FFFD, and the
 * ledger row would fail verify forever. Refused at the root, where text enters, keys included.
 */
function refuseMalformedText(value: unknown): void {
  const details: FieldProblem[] = []
  const walk = (node: unknown, at: string): void => {
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node)) details.push({ path: at, message: NOT_UNICODE })
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, at ? `${at}.${i}` : String(i)))
    } else if (node !== null && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) {
        // A bad key cannot be shown as it is: it is named by its JSON escape.
        const name = LONE_SURROGATE.test(key) ? JSON.stringify(key).slice(1, -1) : key
        const path = at ? `${at}.${name}` : name
        if (name !== key) details.push({ path, message: `is a field name that ${NOT_UNICODE}` })
        walk(item, path)
      }
    }
  }
  walk(value, '')
  if (details.length > 0) throw invalid('request body', details)
}

/** Validates the query string (itty's `request.query`) against a schema; unknown parameters are refused. */
export function readQuery<S extends z.ZodType>(
  request: { query?: unknown },
  schema: S
): z.output<S> {
  const query = (request.query ?? {}) as Record<string, unknown>
  const repeated = Object.keys(query).filter((name) => Array.isArray(query[name]))
  if (repeated.length > 0) {
    throw invalid(
      'query',
      repeated.map((path) => ({ path, message: 'must be given once' }))
    )
  }
  return validate(schema, query, 'query')
}
