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

export async function call<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string } = {}
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  const bearer = init.token ?? token.get()
  if (bearer) headers.authorization = `Bearer ${bearer}`
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(path, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    })
  } catch {
    throw new Unreachable()
  }
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
