// What a person may type, checked before anything is sent: the same rules as the node's, so a
// mistake is caught at the prompt (or on the command line) with a sentence, not a round trip.

/** A parser turns typed text into a value, or throws an InputError whose message starts "must". */
export type Parse<T> = (text: string) => T

export class InputError extends Error {}

const MAX = 1_000_000_000

function whole(text: string, allowSign: boolean): number | undefined {
  const trimmed = text.trim()
  const pattern = allowSign ? /^[+-]?\d+$/ : /^\+?\d+$/
  return pattern.test(trimmed) ? Number(trimmed) : undefined
}

/** SKUs are case-insensitive; the node stores them upper-case. */
export const sku: Parse<string> = (text) => {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(trimmed)) {
    throw new InputError(
      'must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit'
    )
  }
  return trimmed.toUpperCase()
}

/** Stock moved by a receipt or an issue: a whole number greater than zero. */
export const quantity: Parse<number> = (text) => {
  const n = whole(text, false)
  if (n === undefined || n < 1) {
    throw new InputError('must be a whole number greater than zero, such as 12')
  }
  if (n > MAX) throw new InputError('must be at most 1000000000')
  return n
}

/** What was counted, or a reorder point: a whole number, zero allowed. */
export const count: Parse<number> = (text) => {
  const n = whole(text, false)
  if (n === undefined) throw new InputError('must be a whole number, zero or more, such as 40')
  if (n > MAX) throw new InputError('must be at most 1000000000')
  return n
}

/** A reorder point, or none: empty, "-" or "none" (stock is then never shown as low). */
export const reorderPoint: Parse<number | null> = (text) =>
  ['', '-', 'none'].includes(text.trim().toLowerCase()) ? null : count(text)

/**
 * A signed correction: "+5" found, "-2" damaged. The sign is required, so that a count typed
 * into the wrong prompt ("197") is not taken as 197 more.
 */
export const delta: Parse<number> = (text) => {
  const n = /^\s*[+-]/.test(text) ? whole(text, true) : undefined
  if (n === undefined || n === 0) {
    throw new InputError('must be + or - and a whole number other than zero, such as -2 or +5')
  }
  if (Math.abs(n) > MAX) throw new InputError('must be between -1000000000 and 1000000000')
  return n
}

/** How many rows a list asks for at once (the node's own bounds). */
export const limit: Parse<number> = (text) => {
  const n = whole(text, false)
  if (n === undefined || n < 1 || n > 500)
    throw new InputError('must be a whole number from 1 to 500')
  return n
}

/** Free text with the node's length limit; surrounding spaces dropped. */
export function text(max: number, required = false): Parse<string> {
  return (value) => {
    const trimmed = value.trim()
    if (required && !trimmed) throw new InputError('must not be empty')
    if (trimmed.length > max) throw new InputError(`must be at most ${max} characters`)
    return trimmed
  }
}

/** The same parser as a prompts `validate`: true, or the sentence to show under the answer. */
export function validator<T>(parse: Parse<T>, label: string) {
  return (value: string): true | string => {
    try {
      parse(String(value ?? ''))
      return true
    } catch (err) {
      if (!(err instanceof InputError)) throw err
      return `${label} ${err.message}`
    }
  }
}

const HTTP_URL = 'must be an http(s) URL such as http://10.0.0.2:8080'

/** Another node's address, as the node checks it: an http(s) URL. */
export const nodeUrl: Parse<string> = (text) => {
  const trimmed = text.trim()
  if (!URL.canParse(trimmed) || !/^https?:$/.test(new URL(trimmed).protocol)) {
    throw new InputError(HTTP_URL)
  }
  return trimmed
}

/** One or more node addresses typed on one line, separated by spaces or commas (at most 50). */
export const nodeUrls: Parse<string[]> = (text) => {
  const words = text.split(/[\s,]+/).filter(Boolean)
  if (!words.length)
    throw new InputError('must name at least one node, such as http://10.0.0.2:8080')
  if (words.length > 50) throw new InputError('must be at most 50 addresses')
  return words.map((word) => {
    try {
      return nodeUrl(word)
    } catch {
      throw new InputError(
        `must each be an http(s) URL such as http://10.0.0.2:8080; "${word}" is not`
      )
    }
  })
}

/** An Idempotency-Key a script chooses, as the node accepts it. */
export const idempotencyKey: Parse<string> = (value) => {
  if (!/^[\x21-\x7e]{1,200}$/.test(value)) {
    throw new InputError('must be 1-200 visible ASCII characters (no spaces)')
  }
  return value
}
