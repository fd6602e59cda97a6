// The shape of a one-shot command (`almacen receive SKU QTY …`) and the small helpers that check its
// arguments. Mistakes are UsageErrors (exit 2) that name the argument and what it should be.
import { UsageError } from './errors.ts'
import { InputError, idempotencyKey, type Parse } from './input.ts'
import type { Io } from './io.ts'

export interface OptionSpec {
  type: 'string' | 'boolean'
  /** The placeholder shown in help: `--ref REF`. */
  arg?: string
  help: string
}

export interface Args {
  positionals: string[]
  values: Record<string, string | boolean | undefined>
}

export interface Command {
  name: string
  /** One line, lower case, for the command list and NAME in the help. */
  summary: string
  /** The arguments after `almacen <name>`. */
  synopsis: string
  /** What it does, for DESCRIPTION in the help. */
  description: string
  options?: Record<string, OptionSpec>
  examples?: string[]
  /** Runs the command; resolves to an exit code when it is not 0 without an error (verify). */
  run(io: Io, args: Args): Promise<number | void>
}

/**
 * The positional arguments, by name: all of `required`, then up to `optional.length` more.
 * Returns them in order, the missing optional ones as undefined.
 */
export function positionals(
  args: Args,
  required: string[],
  optional: string[] = []
): (string | undefined)[] {
  const given = args.positionals
  if (given.length < required.length) {
    const missing = required.slice(given.length).join(' and ')
    throw new UsageError(`missing ${missing}`)
  }
  if (given.length > required.length + optional.length) {
    const extra = given.slice(required.length + optional.length).join(' ')
    throw new UsageError(`unexpected argument "${extra}"`)
  }
  return [...required, ...optional].map((_, i) => given[i])
}

/** A value parsed from the command line; a bad one becomes a UsageError naming the argument. */
export function parsed<T>(parse: Parse<T>, text: string, label: string): T {
  try {
    return parse(text)
  } catch (err) {
    if (!(err instanceof InputError)) throw err
    throw new UsageError(`${label} ${err.message}, not "${text}"`)
  }
}

/** An option's value when given, parsed; undefined when absent. */
export function optional<T>(args: Args, name: string, parse: Parse<T>): T | undefined {
  const value = args.values[name]
  return typeof value === 'string' ? parsed(parse, value, `--${name}`) : undefined
}

export const KEY_OPTION: OptionSpec = {
  type: 'string',
  arg: 'KEY',
  help: 'the Idempotency-Key to send (default: a new one). After exit 3 the outcome is unknown: run the command again with the same --key and the node applies it at most once',
}

/** --key, checked; undefined lets the API make a fresh one. */
export const keyOf = (args: Args) => optional(args, 'key', idempotencyKey)
