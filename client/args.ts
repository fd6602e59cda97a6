// The command line, read once: global options (--url, --token, --ca, --json, --timeout, --help, --version)
// anywhere, then the command and its own options. Nothing here talks to the node.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Args, Command } from './command.ts'
import { findCommand } from './commands/index.ts'
import { UsageError } from './errors.ts'
import { commandHelp, mainHelp } from './help.ts'
import { tokenFor, type TokenSource } from './token.ts'

export interface Settings {
  url: string
  json: boolean
  timeoutMs: number
  /**
   * The API token sent (client/token.ts): --token or ALMACEN_TOKEN; for a loopback URL, else, the
   * local node's, read before each try (none while no node there has written it and listens).
   */
  token?: TokenSource
  /** The CA (PEM) from --ca or ALMACEN_CA: an https:// node's certificate may be signed by it. */
  ca?: string
}

export type Cli =
  | { mode: 'print'; text: string }
  | { mode: 'interactive'; settings: Settings }
  | { mode: 'one-shot'; command: Command; args: Args; settings: Settings }

/** A usage error inside a command, so the message can point at that command's help. */
export class CommandUsageError extends UsageError {
  readonly command: Command
  constructor(command: Command, message: string) {
    super(message)
    this.command = command
  }
}

const GLOBAL = {
  url: { type: 'string' },
  token: { type: 'string' },
  ca: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const

// parseArgs reads "-2" as an option; a negative number is always an argument here (adjust -2).
const HIDE = '\u0000'
const hide = (argv: string[]) => argv.map((a) => (/^-\d+$/.test(a) ? HIDE + a : a))
const unhide = (a: string) => (a.startsWith(HIDE) ? a.slice(1) : a)

function parse(
  argv: string[],
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>
) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: true,
    })
    const shown = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? unhide(v) : v])
    ) as Record<string, string | boolean | undefined>
    return { values: shown, positionals: positionals.map(unhide) }
  } catch (err) {
    const e = err as { code?: string; message: string }
    const name = /'(-[^' ]+)/.exec(e.message)?.[1] ?? ''
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${name}`)
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(
        /argument missing/.test(e.message) ? `${name} needs a value` : `${name} takes no value`
      )
    }
    throw new UsageError(e.message)
  }
}

function settingsFrom(values: Record<string, unknown>, env: NodeJS.ProcessEnv): Settings {
  const url = (values.url as string | undefined) ?? (env.ALMACEN_URL || 'http://127.0.0.1:8080')
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new UsageError(`--url must be an http(s) URL such as http://127.0.0.1:8080, not "${url}"`)
  }
  const timeout = (values.timeout as string | undefined) ?? '10'
  const seconds = Number(timeout)
  if (!/^\d+(\.\d+)?$/.test(timeout) || seconds < 0.1 || seconds > 600) {
    throw new UsageError(`--timeout must be a number of seconds from 0.1 to 600, not "${timeout}"`)
  }
  // Around it, white space a file or a paste left (a CRLF's \r); inside, what a header can carry:
  // a token Node would not send was retried as a node that did not answer, then "unreachable".
  const found = tokenFor(url, values.token as string | undefined, env)
  const token = typeof found === 'string' ? found.trim() : found
  if (typeof token === 'string' && token && !/^[\x21-\x7e]+$/.test(token)) {
    throw new UsageError(
      '--token (or ALMACEN_TOKEN) must be the token as the node gave it: letters, digits and signs, no spaces or quotes outside ASCII'
    )
  }
  const ca = caFrom((values.ca as string | undefined) ?? (env.ALMACEN_CA || undefined))
  return {
    url,
    json: Boolean(values.json),
    timeoutMs: Math.round(seconds * 1000),
    token: token || undefined,
    ...(ca && { ca }),
  }
}

/** The CA file's PEM text, read before anything is sent. */
function caFrom(file: string | undefined): string | undefined {
  if (file === undefined) return undefined
  let text
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsageError(`--ca ${file} cannot be read: ${(err as Error).message}`)
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UsageError(`--ca ${file} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----")`)
  }
  return text
}

/** What the command line asks for; throws UsageError (exit 2) when it asks for nothing sensible. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv, version: string): Cli {
  const hidden = hide(argv)
  // First pass: only to find the command, so that its own options are known in the second.
  const first = parseArgs({ args: hidden, options: GLOBAL, strict: false, allowPositionals: true })
  const name = first.positionals[0]
  if (name === 'help') {
    const topic = first.positionals[1]
    const command = topic === undefined ? undefined : findCommand(topic)
    if (topic !== undefined && !command) throw new UsageError(`there is no command "${topic}"`)
    return { mode: 'print', text: command ? commandHelp(command) : mainHelp() }
  }
  const command = name === undefined ? undefined : findCommand(unhide(name))
  if (name !== undefined && !command) throw new UsageError(`there is no command "${unhide(name)}"`)
  if (!command) {
    const { values } = parse(hidden, GLOBAL)
    if (values.version) return { mode: 'print', text: `almacen ${version}\n` }
    if (values.help) return { mode: 'print', text: mainHelp() }
    return { mode: 'interactive', settings: settingsFrom(values, env) }
  }
  try {
    const options = { ...GLOBAL, ...(command.options ?? {}) }
    const { values, positionals } = parse(hidden, options)
    if (values.help) return { mode: 'print', text: commandHelp(command) }
    const args = { values, positionals: positionals.slice(1) }
    return { mode: 'one-shot', command, args, settings: settingsFrom(values, env) }
  } catch (err) {
    if (err instanceof UsageError) throw new CommandUsageError(command, err.message)
    throw err
  }
}
