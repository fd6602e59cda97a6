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

/**
 * The Idempotency-Keys of writes whose outcome is unknown (no answer came, or the node answered
 * 5xx), by method, path and body: the same write sent again (the clerk pressing Enter on the
 * fields put back) carries the same key, so one whose first answer was lost is applied once, and
 * the retry gets that first answer. Any answer that settles the write forgets its key; a write
 * typed again after that is a new one. The most recent few are kept.
 */
const unsettled = new Map<string, string>()
const UNSETTLED_KEPT = 100

/** 128 random bits: `crypto.randomUUID` exists only on https or localhost, a node may be neither. */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
}

export async function call<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string } = {}
): Promise<T> {
  const method = init.method ?? 'GET'
  const headers: Record<string, string> = { accept: 'application/json' }
  const bearer = init.token ?? token.get()
  if (bearer) headers.authorization = `Bearer ${bearer}`
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  const text = init.body === undefined ? undefined : JSON.stringify(init.body)
  const write = method === 'POST' || method === 'PATCH' ? `${method} ${path} ${text}` : undefined
  if (write !== undefined) {
    headers['idempotency-key'] = unsettled.get(write) ?? newKey()
    unsettled.delete(write)
  }
  // Kept again (as the newest) when this try ends with its outcome unknown.
  const unknown = () => {
    if (write === undefined) return
    unsettled.set(write, headers['idempotency-key'])
    for (const oldest of unsettled.keys()) {
      if (unsettled.size <= UNSETTLED_KEPT) break
      unsettled.delete(oldest)
    }
  }
  let response: Response
  try {
    response = await fetch(path, { method, headers, body: text })
  } catch {
    unknown()
    throw new Unreachable()
  }
  if (response.status >= 500) unknown()
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
