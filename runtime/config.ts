// The node's configuration: every setting once, in SETTINGS, with its flag, its ALMACEN_*
// variable, its default and its check (zod), parsed here and nowhere else. --help is written from
// the same table, so it lists every variable the node reads; the database worker gets its part as
// one settings object (db/settings.ts), and the membership its timings.
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { ALLOW_DATA_LOSS } from '../db/migration-guard.ts'
import { normalizeHost } from './host-names.ts'
import { DEFAULT_TIMING, type Timing } from './membership/timing.ts'

export class ConfigError extends Error {}

/** Everything a node is configured with: flags win over ALMACEN_* variables, which win over defaults. */
export interface Config {
  port: number
  host: string
  dataDir: string
  name: string
  join: string[]
  /** The URL other nodes reach this one at; by default derived from --host and the port. */
  advertise?: string
  /** Host names clients may reach the node by, beyond its own (loopback, addresses, host name). */
  allowedHosts?: string[]
  clusterKey?: string
  logLevel: string
  /** How long a request waits for the database worker before 504. */
  dbTimeoutMs: number
  /** Node flags for the database worker's process alone. */
  workerNodeOptions?: string[]
  /** The membership timings set; the others are the protocol's own (DEFAULT_TIMING). */
  timing?: Partial<Timing>
}

/** One setting: where it is read from, how it is checked, and what --help says of it. */
interface Setting<T> {
  /** Its flag, without the dashes; none for a secret (any user may read a command line). */
  flag?: string
  /** What --help shows after the flag: <n>, <url>… */
  arg?: string
  env: string
  /** The text used when neither is given, checked as any other; none: the setting is unset. */
  default?: string
  /** From the text given to the value; a failure's message completes "--flag …". */
  schema: z.ZodType<T, string>
  help: string
}

const setting = <T>(s: Setting<T>): Setting<T> => s

function whole(min: number, max: number) {
  return z
    .string()
    .refine((s) => /^\d+$/.test(s.trim()) && Number(s) >= min && Number(s) <= max, {
      error: (issue) => `must be a whole number from ${min} to ${max}, not "${issue.input}"`,
    })
    .transform(Number)
}

/** A comma-separated list, each item checked by `item`. */
function list<T>(item: z.ZodType<T, string>) {
  return z.string().transform((text, ctx) => {
    const items: T[] = []
    for (const part of text.split(',')) {
      if (!part.trim()) continue
      const parsed = item.safeParse(part.trim())
      if (parsed.success) items.push(parsed.data)
      else ctx.issues.push({ code: 'custom', input: part, message: parsed.error.issues[0].message })
    }
    return items
  })
}

const httpUrl = z
  .string()
  .refine((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol), {
    error: (issue) => `expects http(s) URLs such as http://10.0.0.2:8080, not "${issue.input}"`,
  })
  .transform((url) => url.replace(/\/+$/, ''))

const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.?)+$|^\[?[0-9a-f:.]*:[0-9a-f:.]*\]?$/i

const hostName = z
  .string()
  .regex(HOST_NAME, {
    error: (issue) =>
      'expects host names or addresses such as almacen.example.com or 10.0.0.5 (no scheme or ' +
      `port), not "${issue.input}"`,
  })
  .transform(normalizeHost)

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** A membership timing in ms, ALMACEN_<FLAG>; --help shows the protocol's own default. */
function timing(key: keyof Timing, min: number, max: number, help: string) {
  const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
  return setting({
    flag,
    arg: '<ms>',
    env: `ALMACEN_${flag.toUpperCase().replaceAll('-', '_')}`,
    schema: whole(min, max),
    help: `${help} (default ${DEFAULT_TIMING[key]})`,
  })
}

const SETTINGS = {
  port: setting({
    flag: 'port',
    arg: '<n>',
    env: 'ALMACEN_PORT',
    default: '8080',
    schema: whole(0, 65535),
    help: 'TCP port to listen on (default 8080; 0 picks a free one)',
  }),
  host: setting({
    flag: 'host',
    arg: '<addr>',
    env: 'ALMACEN_HOST',
    default: '127.0.0.1',
    schema: z.string(),
    help: 'address to bind (default 127.0.0.1; 0.0.0.0 for every interface)',
  }),
  dataDir: setting({
    flag: 'data-dir',
    arg: '<dir>',
    env: 'ALMACEN_DATA_DIR',
    default: './data',
    schema: z.string().refine((dir) => dir.trim() !== '', { error: 'must not be empty' }),
    help: 'where the SQLite database lives (default ./data)',
  }),
  name: setting({
    flag: 'name',
    arg: '<name>',
    env: 'ALMACEN_NAME',
    schema: z
      .string()
      .trim()
      .refine((name) => /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u.test(name), {
        error: (issue) =>
          'must be 1-64 letters, digits, spaces, dots, dashes or underscores, ' +
          `not "${String(issue.input).trim()}"`,
      }),
    help: "the warehouse's name, shown in messages and to its peers (default: the host name)",
  }),
  logLevel: setting({
    flag: 'log-level',
    arg: '<lvl>',
    env: 'ALMACEN_LOG_LEVEL',
    default: 'info',
    schema: z.enum(LEVELS, { error: `must be one of ${LEVELS.join(', ')}` }),
    help: 'fatal, error, warn, info (default), debug, trace, silent',
  }),
  join: setting({
    flag: 'join',
    arg: '<urls>',
    env: 'ALMACEN_JOIN',
    default: '',
    schema: list(httpUrl),
    help: 'comma-separated URLs of members to join through at start (needs the cluster key)',
  }),
  advertise: setting({
    flag: 'advertise',
    arg: '<url>',
    env: 'ALMACEN_ADVERTISE',
    schema: list(httpUrl).refine((urls) => urls.length === 1, {
      error: (issue) => `expects one http(s) URL, not "${issue.input}"`,
    }),
    help: 'the URL other nodes reach this one at (default: from --host and the port)',
  }),
  allowedHosts: setting({
    flag: 'allowed-hosts',
    arg: '<names>',
    env: 'ALMACEN_ALLOWED_HOSTS',
    default: '',
    schema: list(hostName),
    help:
      'names clients reach this node by, besides localhost, its addresses, host name and ' +
      'advertised host (comma-separated); a request for any other Host gets 403',
  }),
  clusterKey: setting({
    env: 'ALMACEN_CLUSTER_KEY',
    schema: z.string(),
    help: 'the secret that signs node-to-node requests: 16 characters or more, the same on every node',
  }),
  clusterKeyFile: setting({
    env: 'ALMACEN_CLUSTER_KEY_FILE',
    schema: z.string(),
    help: 'or a file holding it (a systemd credential, say)',
  }),
  probeIntervalMs: timing('probeIntervalMs', 50, 60_000, 'each node probes one member this often'),
  probeTimeoutMinMs: timing(
    'probeTimeoutMinMs',
    10,
    60_000,
    "the shortest wait for a probe's answer"
  ),
  probeTimeoutMaxMs: timing(
    'probeTimeoutMaxMs',
    10,
    60_000,
    'the longest; in between it follows the round trip'
  ),
  suspicionMs: timing(
    'suspicionMs',
    100,
    600_000,
    'how long a suspect has to refute before it fails'
  ),
  syncIntervalMs: timing(
    'syncIntervalMs',
    100,
    3_600_000,
    'full list exchanged with one member this often'
  ),
  leaveDeadlineMs: timing(
    'leaveDeadlineMs',
    100,
    60_000,
    'how long a leave waits for acknowledgements'
  ),
  joinTimeoutMs: timing('joinTimeoutMs', 100, 60_000, 'how long a join waits for an answer'),
  dbTimeoutMs: setting({
    flag: 'db-timeout-ms',
    arg: '<ms>',
    env: 'ALMACEN_DB_TIMEOUT_MS',
    default: '5000',
    schema: whole(100, 600_000),
    help: 'how long a request waits for the database worker before 504 (default 5000)',
  }),
  workerNodeOptions: setting({
    env: 'ALMACEN_WORKER_NODE_OPTIONS',
    default: '',
    schema: z.string().transform((flags) => flags.split(/\s+/).filter(Boolean)),
    help:
      'node flags for the database worker alone, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to ' +
      'profile it (Node refuses --cpu-prof in NODE_OPTIONS)',
  }),
}

type Key = keyof typeof SETTINGS

const TIMINGS = [
  'probeIntervalMs',
  'probeTimeoutMinMs',
  'probeTimeoutMaxMs',
  'suspicionMs',
  'syncIntervalMs',
  'leaveDeadlineMs',
  'joinTimeoutMs',
] as const satisfies (Key & keyof Timing)[]

/** --help, in sections; each setting once, from SETTINGS. */
const SECTIONS: [string, Key[]][] = [
  ['The node', ['port', 'host', 'dataDir', 'name', 'logLevel']],
  ['The peer network', ['join', 'advertise', 'allowedHosts', 'clusterKey', 'clusterKeyFile']],
  ['Membership timing, in ms (best the same on every node)', [...TIMINGS]],
  ['The database worker', ['dbTimeoutMs', 'workerNodeOptions']],
]

/** Variables read by other programs of the node's (the knex CLI takes no flags of ours). */
const ALSO_READ: [string, string][] = [
  [ALLOW_DATA_LOSS, "set to 1, lets 'npx knex migrate:rollback' drop tables that hold rows"],
]

/** Wraps text at 100 columns, every line indented by `indent`. */
function wrap(text: string, indent: string): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && indent.length + line.length + 1 + word.length > 100) {
      lines.push(indent + line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  return [...lines, indent + line].join('\n')
}

function usageOf(s: Setting<unknown>): string {
  const flag = s.flag ? `--${s.flag} ${s.arg}` : ''
  return `  ${flag.padEnd(28)}${s.env}\n${wrap(s.help, '      ')}`
}

export const USAGE = `Usage: npm start -- [options]      (or, once built: node dist/runtime/main.js [options])

Runs one almacen warehouse node: the REST API, and its database worker on ./data. Each option is
also read from the environment variable shown; a flag wins over its variable.

${SECTIONS.map(
  ([title, keys]) => `${title}:\n${keys.map((key) => usageOf(SETTINGS[key])).join('\n')}`
).join('\n\n')}

Also read:
${ALSO_READ.map(([env, help]) => `  ${''.padEnd(28)}${env}\n${wrap(help, '      ')}`).join('\n')}

  -h, --help                  show this help
  -v, --version               show the version
`

/** The text of one setting (from its flag, its variable or its default), and where it came from. */
function textOf(s: Setting<unknown>, flags: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  const flag = s.flag === undefined ? undefined : flags[s.flag]
  if (typeof flag === 'string') return { text: flag, from: 'flag' }
  if (env[s.env] !== undefined) return { text: env[s.env] as string, from: 'env' }
  return { text: s.default, from: 'default' }
}

/** Reads a setting: its value, undefined when unset, or a ConfigError naming where it was given. */
function read<K extends Key>(
  key: K,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  fallback?: string
): z.output<(typeof SETTINGS)[K]['schema']> | undefined {
  const s = SETTINGS[key] as Setting<z.output<(typeof SETTINGS)[K]['schema']>>
  const { text = fallback, from } = textOf(s, flags, env)
  if (text === undefined) return undefined
  const parsed = s.schema.safeParse(text)
  if (parsed.success) return parsed.data
  // Named by its flag, as --help lists it, and by the variable it was read from, if it was.
  const problem = `${s.flag ? `--${s.flag}` : s.env} ${parsed.error.issues[0].message}`
  throw new ConfigError(from === 'env' && s.flag ? `${problem} (${s.env})` : problem)
}

function clusterKey(env: NodeJS.ProcessEnv): string | undefined {
  let key = env[SETTINGS.clusterKey.env]
  const file = env[SETTINGS.clusterKeyFile.env]
  if (!key && file) {
    try {
      key = readFileSync(file, 'utf8').trim()
    } catch (err) {
      throw new ConfigError(`ALMACEN_CLUSTER_KEY_FILE cannot be read: ${(err as Error).message}`)
    }
  }
  if (key !== undefined && key.length > 0 && key.length < 16) {
    throw new ConfigError(
      'The cluster key must be at least 16 characters: it is all that guards node-to-node requests'
    )
  }
  return key || undefined
}

/** The timings set, checked against each other with the protocol's defaults for the rest. */
function timingsOf(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Partial<Timing> {
  const set: Partial<Timing> = {}
  for (const key of TIMINGS) {
    const value = read(key, flags, env)
    if (value !== undefined) set[key] = value
  }
  const { probeTimeoutMinMs: min, probeTimeoutMaxMs: max } = { ...DEFAULT_TIMING, ...set }
  if (min > max) {
    throw new ConfigError(
      `--probe-timeout-min-ms (${min}) must not be more than --probe-timeout-max-ms (${max})`
    )
  }
  return set
}

const FLAGS = Object.fromEntries(
  Object.values(SETTINGS as Record<Key, Setting<unknown>>)
    .filter((s) => s.flag !== undefined)
    .map((s) => [s.flag as string, { type: 'string' as const }])
)

/**
 * Parses flags and environment; throws ConfigError naming the bad setting. Returns 'help' or
 * 'version' when those were asked for.
 */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): Config | 'help' | 'version' {
  let flags
  try {
    flags = parseArgs({
      args: argv,
      strict: true,
      options: {
        ...FLAGS,
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    }).values
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  if (flags.help) return 'help'
  if (flags.version) return 'version'
  const key = clusterKey(env)
  const join = read('join', flags, env) ?? []
  if (join.length > 0 && !key) {
    throw new ConfigError(
      '--join needs the cluster key: set ALMACEN_CLUSTER_KEY (the same on every node)'
    )
  }
  const allowedHosts = read('allowedHosts', flags, env) ?? []
  return {
    port: read('port', flags, env) as number,
    host: read('host', flags, env) as string,
    dataDir: read('dataDir', flags, env) as string,
    name: read('name', flags, env, hostname()) as string,
    join,
    advertise: read('advertise', flags, env)?.[0],
    ...(allowedHosts.length > 0 && { allowedHosts }),
    clusterKey: key,
    logLevel: read('logLevel', flags, env) as string,
    dbTimeoutMs: read('dbTimeoutMs', flags, env) as number,
    workerNodeOptions: read('workerNodeOptions', flags, env) ?? [],
    timing: timingsOf(flags, env),
  }
}

/** The configuration as printed at start: secrets replaced by whether they are set. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { clusterKey, ...rest } = config
  return { ...rest, clusterKey: clusterKey ? 'set' : 'not set' }
}
