// Calls to this node's API (same origin), with the signed-in token. A refusal carries the node's
// own sentence; a node that cannot be reached is told apart from one that refuses.
import type { ErrorBody, FieldProblem } from '../api/index.ts'

const TOKEN_KEY = 'almacen.token'

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
}

/** The node answered with a refusal: `message` is its sentence, `code` its error code. */
export class Refused extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number
  ) {
    super(message)
  }
}

/** No answer at all: the node is down or the network is. */
export class Unreachable extends Error {}

/** 128 random bits: `crypto.randomUUID` exists only on https or localhost, a node may be neither. */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
}

/**
 * One write's Idempotency-Key as a person sends it: the same while its outcome is unknown (no
 * answer came, or the node answered 5xx), so that the write sent again (a form sent again, the
 * fields put back and Enter) is applied once and gets the first answer; a new one once an answer
 * settled it. Never shared by two writes a person meant as two (two scans of the same carton).
 */
export class WriteKey {
  private key: string | null = null
  /** The key to send now. */
  take(): string {
    return (this.key ??= newKey())
  }
  /** The write is settled: the next one sent with this is another write. */
  settled(): void {
    this.key = null
  }
}

/** Every POST and PATCH carries an Idempotency-Key: `key`'s, or one of its own. */
export async function call<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string; key?: WriteKey } = {}
): Promise<T> {
  const method = init.method ?? 'GET'
  const headers: Record<string, string> = { accept: 'application/json' }
  const bearer = init.token ?? token.get()
  if (bearer) headers.authorization = `Bearer ${bearer}`
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  const write = method === 'POST' || method === 'PATCH'
  const key = init.key ?? new WriteKey()
  if (write) headers['idempotency-key'] = key.take()
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    })
  } catch {
    throw new Unreachable()
  }
  if (response.status < 500) key.settled()
  const body = await response.json().catch(() => undefined)
  if (!response.ok) {
    const error = body as Partial<ErrorBody> | undefined
    const sentence = error?.error ?? `${response.status} ${response.statusText}`
    // The details the sentence does not say already, in any case: "Invalid request body: name
    // must not be empty" names its first problem, and "No item with SKU X" its one detail.
    const said = sentence.toLowerCase()
    const details = Array.isArray(error?.details) ? (error.details as FieldProblem[]) : []
    const problems = details
      .filter((p) => !said.includes(`${p.path} ${p.message}`.toLowerCase()))
      .filter((p) => details.length > 1 || !said.includes(p.message.toLowerCase()))
      .map((p) => `${p.path} ${p.message}`)
    throw new Refused([sentence, ...problems].join(' — '), error?.code ?? 'HTTP', response.status)
  }
  return body as T
}

/**
 * A quantity as typed: its digits (and sign) as a number, else NaN. `Number` alone would take
 * "1e3" for 1000, "0x10" for 16 and "" for 0; NaN goes as null, which a quantity may not be.
 */
export function wholeOf(text: string): number {
  return /^[+-]?\d+$/.test(text.trim()) ? Number(text) : NaN
}

/** Every row of a paged list (`path` already holding its query), page after page of 500. */
export async function allPages<Row, P extends { nextCursor: string | null }>(
  path: string,
  rowsOf: (page: P) => Row[]
): Promise<Row[]> {
  const rows: Row[] = []
  const join = path.includes('?') ? '&' : '?'
  let cursor: string | null = null
  do {
    const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
    const page: P = await call<P>(`${path}${join}limit=500${after}`)
    rows.push(...rowsOf(page))
    cursor = page.nextCursor
  } while (cursor)
  return rows
}
