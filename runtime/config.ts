import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { parseArgs } from 'node:util'
import { normalizeHost } from './host-names.ts'

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
}

export class ConfigError extends Error {}

export const USAGE = `Usage: npm start -- [options]      (or, once built: node dist/runtime/main.js [options])

Runs one almacen warehouse node: the REST API, and its database worker on ./data.

Options (each also read from the environment variable shown):
  --port <n>         ALMACEN_PORT        TCP port to listen on (default 8080; 0 picks a free one)
  --host <addr>      ALMACEN_HOST        address to bind (default 127.0.0.1; 0.0.0.0 for every interface)
  --data-dir <dir>   ALMACEN_DATA_DIR    where the SQLite database lives (default ./data)
  --name <name>      ALMACEN_NAME        the warehouse's name (default: the host name)
  --join <urls>      ALMACEN_JOIN        comma-separated URLs of nodes to join (peer network)
  --advertise <url>  ALMACEN_ADVERTISE   the URL other nodes reach this one at (default: from --host)
  --allowed-hosts <names>
                     ALMACEN_ALLOWED_HOSTS  names clients reach this node by, besides localhost,
                                         its addresses, host name and advertised host (comma-
                                         separated); a request for any other Host gets 403
                     ALMACEN_CLUSTER_KEY shared secret that signs node-to-node requests
                     ALMACEN_CLUSTER_KEY_FILE  or a file holding it
  --log-level <lvl>  ALMACEN_LOG_LEVEL   fatal, error, warn, info (default), debug, trace, silent
  -h, --help                             show this help
`

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function integer(value: string, what: string, min: number, max: number): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw new ConfigError(`${what} must be a whole number from ${min} to ${max}, not "${value}"`)
  }
  return n
}

function urlList(value: string, flag: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((url) => {
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
        throw new ConfigError(
          `${flag} expects http(s) URLs such as http://10.0.0.2:8080, not "${url}"`
        )
      }
      return url.replace(/\/+$/, '')
    })
}

const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.?)+$|^\[?[0-9a-f:.]*:[0-9a-f:.]*\]?$/i

function hostList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name) => {
      if (!HOST_NAME.test(name)) {
        throw new ConfigError(
          `--allowed-hosts expects host names or addresses such as almacen.example.com or 10.0.0.5 (no scheme or port), not "${name}"`
        )
      }
      return normalizeHost(name)
    })
}

function clusterKey(env: NodeJS.ProcessEnv): string | undefined {
  let key = env.ALMACEN_CLUSTER_KEY
  if (!key && env.ALMACEN_CLUSTER_KEY_FILE) {
    try {
      key = readFileSync(env.ALMACEN_CLUSTER_KEY_FILE, 'utf8').trim()
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

/** Parses flags and environment; throws ConfigError naming the bad setting. Returns null for --help. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): Config | null {
  let flags
  try {
    flags = parseArgs({
      args: argv,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        name: { type: 'string' },
        join: { type: 'string' },
        advertise: { type: 'string' },
        'allowed-hosts': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  if (flags.help) return null
  const pick = (flag: string | undefined, name: string) => flag ?? env[name] ?? undefined
  const name = (pick(flags.name, 'ALMACEN_NAME') ?? hostname()).trim()
  if (!/^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u.test(name)) {
    throw new ConfigError(
      `--name must be 1-64 letters, digits, spaces, dots, dashes or underscores, not "${name}"`
    )
  }
  const logLevel = pick(flags['log-level'], 'ALMACEN_LOG_LEVEL') ?? 'info'
  if (!LEVELS.includes(logLevel))
    throw new ConfigError(`--log-level must be one of ${LEVELS.join(', ')}`)
  const dataDir = pick(flags['data-dir'], 'ALMACEN_DATA_DIR') ?? './data'
  if (!dataDir.trim()) throw new ConfigError('--data-dir must not be empty')
  const advertise = pick(flags.advertise, 'ALMACEN_ADVERTISE')
  const advertised = advertise === undefined ? undefined : urlList(advertise, '--advertise')
  if (advertised && advertised.length !== 1) {
    throw new ConfigError(`--advertise expects one http(s) URL, not "${advertise}"`)
  }
  const allowedHosts = hostList(pick(flags['allowed-hosts'], 'ALMACEN_ALLOWED_HOSTS') ?? '')
  const key = clusterKey(env)
  const join = urlList(pick(flags.join, 'ALMACEN_JOIN') ?? '', '--join')
  if (join.length > 0 && !key) {
    throw new ConfigError(
      '--join needs the cluster key: set ALMACEN_CLUSTER_KEY (the same on every node)'
    )
  }
  return {
    port: integer(pick(flags.port, 'ALMACEN_PORT') ?? '8080', '--port', 0, 65535),
    host: pick(flags.host, 'ALMACEN_HOST') ?? '127.0.0.1',
    dataDir,
    name,
    join,
    advertise: advertised?.[0],
    ...(allowedHosts.length > 0 && { allowedHosts }),
    clusterKey: key,
    logLevel,
    dbTimeoutMs: integer(
      env.ALMACEN_DB_TIMEOUT_MS ?? '5000',
      'ALMACEN_DB_TIMEOUT_MS',
      100,
      600_000
    ),
  }
}

/** The configuration as printed at start: secrets replaced by whether they are set. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { clusterKey, ...rest } = config
  return { ...rest, clusterKey: clusterKey ? 'set' : 'not set' }
}
