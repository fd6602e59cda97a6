// Every setting of the node once: its flag, its ALMACEN_* variable, its default, its check (zod)
// and what --help says of it. runtime/config.ts reads them and writes --help from this table, so
// a setting added here is parsed and documented at once.
import { isIP } from 'node:net'
import { z } from 'zod'
import { WAREHOUSE_NAME, WAREHOUSE_NAME_RULE } from '../api/members.ts'
import { normalizeHost } from './host-names.ts'
import { DEFAULT_TIMING, type Timing } from '../network/settings.ts'

/** One setting: where it is read from, how it is checked, and what --help says of it. */
export interface Setting<T> {
  /** Its flag, without the dashes; none for a secret (any user may read a command line). */
  flag?: string
  /** What --help shows after the flag: <n>, <url>…; none for a flag that takes no value. */
  arg?: string
  /** A flag without a value (--restore): given, it reads as "true". */
  boolean?: true
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

/** A flag without a value, or its variable: 1, true, yes (or 0, false, no). */
function yesNo() {
  return z
    .string()
    .refine((s) => /^(1|0|true|false|yes|no)$/i.test(s.trim()), {
      error: (issue) => `must be true or false, not "${issue.input}"`,
    })
    .transform((s) => /^(1|true|yes)$/i.test(s.trim()))
}

const httpUrl = z
  .string()
  .refine((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol), {
    error: (issue) => `expects http(s) URLs such as http://10.0.0.2:8080, not "${issue.input}"`,
  })
  .transform((url) => url.replace(/\/+$/, ''))

/** A host name, or an IPv4 address written as one. */
const NAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.?)+$/i
/** A name, or an IPv6 address with or without brackets (a host as a client writes it). */
const HOST_NAME = new RegExp(`${NAME.source}|^\\[?[0-9a-f:.]*:[0-9a-f:.]*\\]?$`, 'i')

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

export const SETTINGS = {
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
    // An address or name to bind, as Node's listen takes it: an IPv6 address without brackets,
    // no port. Unchecked, 127.0.0.1:8080 was taken for a public address, and [::1] failed to bind.
    schema: z.string().refine((host) => isIP(host) !== 0 || NAME.test(host), {
      error: (issue) =>
        `expects an address or host name of this machine such as 127.0.0.1, 0.0.0.0 or :: (no port or brackets), not "${issue.input}"`,
    }),
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
      .refine((name) => WAREHOUSE_NAME.test(name), {
        error: (issue) => `${WAREHOUSE_NAME_RULE}, not "${String(issue.input).trim()}"`,
      }),
    help: "the warehouse's name, shown to its peers (default: the one it had; at first, the host name)",
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
  tlsCert: setting({
    flag: 'tls-cert',
    arg: '<file>',
    env: 'ALMACEN_TLS_CERT',
    schema: z.string().min(1, { error: 'must name a file' }),
    help:
      "this node's certificate (PEM; the chain after it, if any): with --tls-key, it serves " +
      'HTTPS only, and its URL is https://',
  }),
  tlsKey: setting({
    flag: 'tls-key',
    arg: '<file>',
    env: 'ALMACEN_TLS_KEY',
    schema: z.string().min(1, { error: 'must name a file' }),
    help: "the certificate's private key (PEM), readable by the node alone",
  }),
  tlsCa: setting({
    flag: 'tls-ca',
    arg: '<file>',
    env: 'ALMACEN_TLS_CA',
    schema: z.string().min(1, { error: 'must name a file' }),
    help:
      "the company CA (PEM) that signs the nodes' certificates: a peer at an https:// address " +
      "is believed only with a certificate it signed, and a peer's request only with one too " +
      '(default: the public CAs Node trusts, and no certificate asked of peers)',
  }),
  insecureHttp: setting({
    flag: 'insecure-http',
    boolean: true,
    env: 'ALMACEN_INSECURE_HTTP',
    default: 'false',
    schema: yesNo(),
    help:
      'serve plain HTTP on an address other machines reach (without it, a --host other than ' +
      'loopback needs --tls-cert and --tls-key): tokens and stock cross the network readable',
  }),
  trustedProxies: setting({
    flag: 'trusted-proxies',
    arg: '<addrs>',
    env: 'ALMACEN_TRUSTED_PROXIES',
    default: '',
    schema: list(z.string().refine((addr) => isIP(addr) !== 0, { error: 'must be an IP address' })),
    help:
      'addresses of reverse proxies in front of the node (comma-separated): only from them is ' +
      "X-Forwarded-For believed, for the client's address in the log",
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
  restore: setting({
    flag: 'restore',
    boolean: true,
    env: 'ALMACEN_RESTORE',
    default: 'false',
    schema: yesNo(),
    help:
      "rebuild this warehouse's ledger from the replicas its peers (--join) hold of it, on an " +
      'empty data directory after a disk was lost; it keeps its node id (see --restore-id) and ' +
      'serves only once the whole ledger is verified',
  }),
  restoreId: setting({
    flag: 'restore-id',
    arg: '<id>',
    env: 'ALMACEN_RESTORE_ID',
    schema: z.string().regex(/^[\w-]{1,64}$/, { error: 'must be a node id (GET /node shows it)' }),
    help:
      'the node id to restore (GET /replicas on a peer lists them); by default the one the ' +
      "peers' replicas know by --name",
  }),
  newAdminToken: setting({
    flag: 'new-admin-token',
    boolean: true,
    env: 'ALMACEN_NEW_ADMIN_TOKEN',
    default: 'false',
    schema: yesNo(),
    help:
      'at this start, a new API token for an admin, written to <data-dir>/admin-token: for ' +
      "whoever runs the node when no admin's token works any more (the user admin is enabled " +
      'again, or made, when no admin is)',
  }),
  backupEveryMinutes: setting({
    flag: 'backup-every-minutes',
    arg: '<n>',
    env: 'ALMACEN_BACKUP_EVERY_MINUTES',
    default: '0',
    schema: whole(0, 525_600),
    help:
      'take a backup into <data-dir>/backups/ every n minutes while the node runs (default 0: ' +
      'none; POST /backup takes one at any time)',
  }),
  backupKeep: setting({
    flag: 'backup-keep',
    arg: '<n>',
    env: 'ALMACEN_BACKUP_KEEP',
    default: '7',
    schema: whole(1, 10_000),
    help:
      'scheduled backups kept; the oldest beyond it are removed (default 7; backups taken by ' +
      'hand are never removed by the node)',
  }),
  maxConnections: setting({
    flag: 'max-connections',
    arg: '<n>',
    env: 'ALMACEN_MAX_CONNECTIONS',
    default: '10000',
    schema: whole(16, 1_000_000),
    help:
      'connections held open at once (default 10000, and at most half the open-file limit); ' +
      'one more is answered 503 TOO_MANY_CONNECTIONS and closed',
  }),
  maxConnectionsPerClient: setting({
    flag: 'max-connections-per-client',
    arg: '<n>',
    env: 'ALMACEN_MAX_CONNECTIONS_PER_CLIENT',
    default: '1000',
    schema: whole(8, 1_000_000),
    help:
      'connections held open at once from one address (default 1000, and at most a quarter of ' +
      'the total; --trusted-proxies are exempt); one more is answered 503 TOO_MANY_CONNECTIONS',
  }),
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

export type Key = keyof typeof SETTINGS

export const TIMINGS = [
  'probeIntervalMs',
  'probeTimeoutMinMs',
  'probeTimeoutMaxMs',
  'suspicionMs',
  'syncIntervalMs',
  'leaveDeadlineMs',
  'joinTimeoutMs',
] as const satisfies (Key & keyof Timing)[]
