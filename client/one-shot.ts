// One command, then exit: the result on stdout, problems on stderr, and an exit status a script
// can branch on (see EXIT in errors.ts and EXIT STATUS in the help).
import prompts from 'prompts'
import { createApi } from './api.ts'
import type { Settings } from './args.ts'
import type { Args, Command } from './command.ts'
import {
  Interrupted,
  NodeRefusal,
  NodeUnreachable,
  NotThere,
  OutputClosed,
  LocalFileError,
  UsageError,
  exitCodeFor,
} from './errors.ts'
import type { Io, Output } from './io.ts'
import { createSpinner } from './spinner.ts'

export interface Streams {
  /** Only whether it is a terminal: a command may ask a question only then (leave). */
  stdin: { isTTY?: boolean }
  stdout: Output
  stderr: Output
  /** Where Ctrl-C comes from (see ctrl-c.ts); without it, Ctrl-C ends the process at once. */
  interrupts?: (stop: () => void) => () => void
}

export async function runOneShot(
  command: Command,
  args: Args,
  settings: Settings,
  { stdin, stdout, stderr, interrupts }: Streams = process
): Promise<number> {
  const io: Io = {
    // Tries again while the node cannot be reached or is busy, for --timeout in all: a script
    // waits that long at most, then exits 3 (naming the --key of a change that was sent).
    api: createApi({
      url: settings.url,
      token: settings.token,
      ca: settings.ca,
      timeoutMs: settings.timeoutMs,
      deadlineMs: settings.timeoutMs,
      attempts: Infinity,
      hint: (deadlineMs) => `(gives up after ${deadlineMs / 1000} s)`,
      progress: createSpinner(stderr),
      interrupts,
    }),
    prompts,
    print: (text = '') => void stdout.write(`${text}\n`),
    note: (text) => stderr.write(`${text}\n`),
    json: settings.json,
    columns: stdout.isTTY ? (stdout.columns ?? 80) : Infinity,
    canAsk: Boolean(stdin.isTTY),
    printed: () => flushed(stdout),
  }
  try {
    return (await command.run(io, args)) ?? 0
  } catch (err) {
    stderr.write(settings.json ? `${JSON.stringify(asJson(err))}\n` : describe(err, command))
    return exitCodeFor(err)
  }
}

/** Whether what was written to `out` has gone to its reader: false once the reader has gone. */
function flushed(out: Output): Promise<boolean> {
  const stream = out as Output & Partial<NodeJS.WritableStream & { destroyed: boolean }>
  if (stream.destroyed) return Promise.resolve(false)
  // A recording (tests) takes every write at once; a stream says when a write has gone, in order.
  if (typeof stream.once !== 'function') return Promise.resolve(true)
  return new Promise((resolve) => {
    stream.write('', (err?: Error | null) => resolve(!err && !stream.destroyed))
  })
}

/** An error for people: one line saying what, and for a usage error where to read more. */
export function describe(err: unknown, command?: Command): string {
  if (err instanceof UsageError) {
    const where = command ? ` ${command.name}` : ''
    const usage = command ? `usage: almacen ${command.name} ${command.synopsis}\n` : ''
    return `almacen${where}: ${err.message}\n${usage}See 'almacen${where} --help'.\n`
  }
  if (err instanceof NodeRefusal) return `almacen: ${err.message} (${err.code})\n`
  if (err instanceof NotThere || err instanceof LocalFileError || err instanceof OutputClosed) {
    return `almacen: ${err.message}\n`
  }
  const retry = (key?: string) =>
    key
      ? `almacen: the outcome is unknown. To retry without applying it twice, run the same command with --key ${key}\n`
      : ''
  if (err instanceof NodeUnreachable) {
    // A command that changes something (it takes --key) whose change was never sent: a look-up
    // before it went unanswered. Safe to run again as it is.
    const unsent =
      !err.key && command?.options?.key ? 'almacen: nothing was sent, so nothing changed.\n' : ''
    const unconfirmed = err.unconfirmed
      ? `almacen: the node did not confirm it, so it may or may not have been done: ${err.unconfirmed}\n`
      : ''
    return `almacen: ${err.message}\n${retry(err.key)}${unsent}${unconfirmed}`
  }
  if (err instanceof Interrupted) {
    const unknown = err.unconfirmed && !err.key ? ' before the node confirmed it' : ''
    return `almacen: interrupted${unknown}\n${retry(err.key)}`
  }
  return `almacen: unexpected error: ${(err as Error)?.message ?? err}\n`
}

/** The same, as one JSON line in the node's error shape, for --json. */
function asJson(err: unknown): Record<string, unknown> {
  if (err instanceof NodeRefusal) {
    return { status: err.status, error: err.message, code: err.code, details: err.details }
  }
  if (err instanceof NodeUnreachable) {
    return { error: err.message, code: 'UNREACHABLE', reason: err.reason, key: err.key }
  }
  if (err instanceof UsageError) return { error: err.message, code: 'USAGE' }
  if (err instanceof NotThere) return { error: err.message, code: 'NOT_FOUND' }
  if (err instanceof LocalFileError) return { error: err.message, code: 'LOCAL_FILE' }
  if (err instanceof OutputClosed) return { error: err.message, code: 'OUTPUT_CLOSED' }
  if (err instanceof Interrupted) return { error: 'interrupted', code: 'INTERRUPTED', key: err.key }
  return { error: (err as Error)?.message ?? String(err), code: 'CLIENT_ERROR' }
}
