// The node's configuration, parsed once: flags win over ALMACEN_* variables, which win over
// defaults, each setting as runtime/settings.ts describes it; --help is written from the same
// table. The database worker gets its part as one settings object (db/settings.ts), the
// membership its timings.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { z } from 'zod'
import type { BackupSchedule } from './backups.ts'
import { ALLOW_DATA_LOSS } from '../db/settings.ts'
import { FAILPOINT_ENV } from '../lib/failpoint.ts'
import { DEFAULT_TIMING, type Timing } from '../network/settings.ts'
import { MIN_KEY_LENGTH } from '../api/keys.ts'
import { SETTINGS, TIMINGS, type Key, type Setting } from './settings.ts'
import { TlsError, plainHttpRefusal, readTls, type TlsSettings } from './tls.ts'

export class ConfigError extends Error {}

/** Everything a node is configured with: flags win over ALMACEN_* variables, which win over defaults. */
export interface Config {
  port: number
  host: string
  dataDir: string
  /**
   * The warehouse's name, when given. Without one a node keeps the name its data directory holds,
   * and a new one takes the host name (db/operations/node.ts ensureIdentity).
   */
  name?: string
  join: string[]
  /** The URL other nodes reach this one at; by default derived from --host and the port. */
  advertise?: string
  /** Host names clients may reach the node by, beyond its own (loopback, addresses, host name). */
  allowedHosts?: string[]
  /** Reverse proxies whose X-Forwarded-For is believed for the client's address. */
  trustedProxies?: string[]
  /** Connections held open at once, in all and from one address (runtime/http-server.ts). */
  maxConnections?: number
  maxConnectionsPerClient?: number
  clusterKey?: string
  logLevel: string
  /** How long a request waits for the database worker before 504. */
  dbTimeoutMs: number
  /** Node flags for the database worker's process alone. */
  workerNodeOptions?: string[]
  /** The membership timings set; the others are the protocol's own (DEFAULT_TIMING). */
  timing?: Partial<Timing>
  /** Rebuild the ledger from the peers' replicas before serving (an empty data directory). */
  restore?: boolean
  /** The node id to restore; by default the one the peers know by this node's name. */
  restoreId?: string
  /** A new admin token at this start, written to the data directory (--new-admin-token). */
  newAdminToken?: boolean
  /** The certificate, key and CA read from --tls-cert, --tls-key, --tls-ca. */
  tls?: TlsSettings
  /** Plain HTTP on an address other machines reach, on purpose (--insecure-http). */
  insecureHttp?: boolean
  /** Scheduled backups: every so many ms (0: none), and how many of them are kept. */
  backup?: BackupSchedule
}

/** --help, in sections; each setting once, from SETTINGS. */
const SECTIONS: [string, Key[]][] = [
  ['The node', ['port', 'host', 'dataDir', 'name', 'logLevel', 'trustedProxies', 'newAdminToken']],
  ['Connections', ['maxConnections', 'maxConnectionsPerClient']],
  ['The peer network', ['join', 'advertise', 'allowedHosts', 'clusterKey', 'clusterKeyFile']],
  ['TLS (see TLS in the README)', ['tlsCert', 'tlsKey', 'tlsCa', 'insecureHttp']],
  ['Membership timing, in ms (best the same on every node)', [...TIMINGS]],
  ['Restoring a warehouse whose disk was lost', ['restore', 'restoreId']],
  ['Backups', ['backupEveryMinutes', 'backupKeep']],
  ['The database worker', ['dbTimeoutMs', 'workerNodeOptions']],
]

/** Variables read by other programs of the node's (the knex CLI takes no flags of ours). */
const ALSO_READ: [string, string][] = [
  [ALLOW_DATA_LOSS, "set to 1, lets 'npx knex migrate:rollback' drop tables that hold rows"],
  [
    FAILPOINT_ENV,
    'for tests of crashes: name:kill,… makes the node (or its worker) kill itself (SIGKILL) on reaching each failpoint named',
  ],
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
  const flag = s.flag ? `--${s.flag}${s.arg ? ` ${s.arg}` : ''}` : ''
  // A flag longer than its column has the variable on a line of its own.
  const head = flag.length < 28 ? flag.padEnd(28) : `${flag}\n  ${''.padEnd(28)}`
  return `  ${head}${s.env}\n${wrap(s.help, '      ')}`
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
  if (flag === true) return { text: 'true', from: 'flag' }
  // An empty variable is an unset one (an env file's line with nothing after its `=`).
  if (env[s.env]) return { text: env[s.env] as string, from: 'env' }
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
  if (key !== undefined && key.length > 0 && key.length < MIN_KEY_LENGTH) {
    throw new ConfigError(
      `The cluster key must be at least ${MIN_KEY_LENGTH} characters: it is all that guards node-to-node requests`
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
    .map((s) => [
      s.flag as string,
      { type: s.boolean ? ('boolean' as const) : ('string' as const) },
    ])
)

/**
 * `--port -5` as `--port=-5`: node's parser takes a value that starts with a dash for an option
 * ("ambiguous"); joined, the setting's own check says what is wrong with it.
 */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const flag = /^--([\w-]+)$/.exec(argv[i])?.[1]
    const next = argv[i + 1]
    if (flag && FLAGS[flag]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${argv[i]}=${next}`)
      i++
    } else out.push(argv[i])
  }
  return out
}

/**
 * Parses flags and environment; throws ConfigError naming the bad setting. Returns 'help' or
 * 'version' when those were asked for.
 */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): Config | 'help' | 'version' {
  let flags
  try {
    flags = parseArgs({
      args: joinNegativeValues(argv),
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
  const trustedProxies = read('trustedProxies', flags, env) ?? []
  const restore = read('restore', flags, env) === true
  const restoreId = read('restoreId', flags, env)
  if (restoreId !== undefined && !restore) {
    throw new ConfigError('--restore-id names the node a restore rebuilds: give --restore with it')
  }
  if (restore && join.length === 0) {
    throw new ConfigError(
      '--restore rebuilds the ledger from the replicas peers hold: give their URLs with --join'
    )
  }
  const host = read('host', flags, env) as string
  const tls = tlsOf(flags, env)
  const insecureHttp = read('insecureHttp', flags, env) === true
  const refusal = plainHttpRefusal(host, tls?.cert !== undefined, insecureHttp)
  if (refusal) throw new ConfigError(refusal)
  const advertise = read('advertise', flags, env)?.[0]
  if (tls?.cert && advertise?.startsWith('http:')) {
    throw new ConfigError(
      `--advertise ${advertise} is plain HTTP, but this node serves HTTPS: give its https:// URL`
    )
  }
  return {
    port: read('port', flags, env) as number,
    host,
    dataDir: read('dataDir', flags, env) as string,
    name: read('name', flags, env),
    join,
    advertise,
    ...(allowedHosts.length > 0 && { allowedHosts }),
    ...(trustedProxies.length > 0 && { trustedProxies }),
    maxConnections: read('maxConnections', flags, env) as number,
    maxConnectionsPerClient: read('maxConnectionsPerClient', flags, env) as number,
    clusterKey: key,
    logLevel: read('logLevel', flags, env) as string,
    dbTimeoutMs: read('dbTimeoutMs', flags, env) as number,
    workerNodeOptions: read('workerNodeOptions', flags, env) ?? [],
    timing: timingsOf(flags, env),
    backup: {
      everyMs: (read('backupEveryMinutes', flags, env) as number) * 60_000,
      keep: read('backupKeep', flags, env) as number,
    },
    ...(restore && { restore, ...(restoreId && { restoreId }) }),
    ...(read('newAdminToken', flags, env) === true && { newAdminToken: true }),
    ...(tls && { tls }),
    ...(insecureHttp && { insecureHttp }),
  }
}

/** The TLS files named, read and checked (runtime/tls.ts); undefined when none is named. */
function tlsOf(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): TlsSettings | undefined {
  try {
    return readTls({
      cert: read('tlsCert', flags, env),
      key: read('tlsKey', flags, env),
      ca: read('tlsCa', flags, env),
    })
  } catch (err) {
    if (err instanceof TlsError) throw new ConfigError(err.message)
    throw err
  }
}

/** The configuration as printed at start: secrets replaced by whether they are set. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { clusterKey, tls, ...rest } = config
  return {
    ...rest,
    clusterKey: clusterKey ? 'set' : 'not set',
    ...(tls && { tls: tls.files }),
  }
}
