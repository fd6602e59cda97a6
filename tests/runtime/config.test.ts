import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { mainHelp } from '../../client/help.ts'
import { ConfigError, USAGE, describeConfig, parseConfig } from '../../runtime/config.ts'
import { ROOT } from '../fixtures/root.ts'

t.test(
  'runs with no settings at all: port 8080, ./data, loopback, no name (kept, or the host name)',
  async (t) => {
    t.same(parseConfig([], {}), {
      port: 8080,
      host: '127.0.0.1',
      dataDir: './data',
      name: undefined,
      join: [],
      advertise: undefined,
      clusterKey: undefined,
      logLevel: 'info',
      maxConnections: 10_000,
      maxConnectionsPerClient: 1000,
      dbTimeoutMs: 5000,
      workerNodeOptions: [],
      timing: {},
      backup: { everyMs: 0, keep: 7 },
    })
  }
)

t.test('reads ALMACEN_* variables, and flags win over them', async (t) => {
  const env = {
    ALMACEN_PORT: '9000',
    ALMACEN_HOST: '0.0.0.0',
    ALMACEN_INSECURE_HTTP: '1',
    ALMACEN_DATA_DIR: '/var/lib/almacen',
    ALMACEN_NAME: 'Bilbao',
    ALMACEN_JOIN: 'http://10.0.0.2:8080/, http://10.0.0.3:8080',
    ALMACEN_CLUSTER_KEY: 'a-long-enough-s3cret',
  }
  t.match(parseConfig([], env), {
    port: 9000,
    host: '0.0.0.0',
    dataDir: '/var/lib/almacen',
    name: 'Bilbao',
    join: ['http://10.0.0.2:8080', 'http://10.0.0.3:8080'],
    clusterKey: 'a-long-enough-s3cret',
  })
  t.match(parseConfig(['--port', '9100', '--name', 'Vigo', '--data-dir', 'here'], env), {
    port: 9100,
    name: 'Vigo',
    dataDir: 'here',
  })
})

t.test('an empty variable is an unset one, as an env file may leave a line', async (t) => {
  const empty = { ALMACEN_LOG_LEVEL: '', ALMACEN_PORT: '', ALMACEN_JOIN: '', ALMACEN_NAME: '' }
  const { name } = parseConfig([], {}) as { name: string } // the host name
  t.match(parseConfig([], empty), { logLevel: 'info', port: 8080, join: [], name })
})

t.test('names the bad setting', async (t) => {
  t.throws(
    () => parseConfig(['--port=-1'], {}),
    new ConfigError('--port must be a whole number from 0 to 65535, not "-1"')
  )
  // Written apart, a negative value is the setting's to judge, not the parser's ("ambiguous").
  t.throws(
    () => parseConfig(['--backup-every-minutes', '-1'], {}),
    new ConfigError('--backup-every-minutes must be a whole number from 0 to 525600, not "-1"')
  )
  t.throws(() => parseConfig(['--port', '-5', '--name', 'Vigo'], {}), { message: /not "-5"/ })
  t.throws(() => parseConfig([], { ALMACEN_PORT: '8o8o' }), { message: /--port/ })
  t.throws(() => parseConfig(['--join', 'ftp://x'], {}), {
    message: /--join expects http\(s\) URLs/,
  })
  t.throws(() => parseConfig(['--name', ''], {}), { message: /--name must be/ })
  // A port with the address, a space, brackets: refused at once, naming the setting.
  for (const host of ['127.0.0.1:8080', '127.0.0.1 ', '[::1]', 'http://127.0.0.1']) {
    t.throws(() => parseConfig([], { ALMACEN_HOST: host }), {
      message: /^--host expects an address or host name of this machine/,
    })
  }
  t.match(parseConfig(['--host', '::1'], {}), { host: '::1' })
  t.throws(() => parseConfig(['--log-level', 'loud'], {}), {
    message: /--log-level must be one of/,
  })
  t.throws(() => parseConfig(['--frobnicate'], {}), { message: /frobnicate/ })
  t.throws(() => parseConfig([], { ALMACEN_CLUSTER_KEY: 'short' }), {
    message: /at least 16 characters/,
  })
  t.throws(() => parseConfig(['--join', 'http://10.0.0.2:8080'], {}), {
    message: /--join needs the cluster key/,
  })
  t.throws(() => parseConfig(['--advertise', 'a,b'], {}), { message: /--advertise/ })
  t.throws(
    () => parseConfig(['--max-connections', '0'], {}),
    new ConfigError('--max-connections must be a whole number from 16 to 1000000, not "0"')
  )
  t.throws(() => parseConfig([], { ALMACEN_MAX_CONNECTIONS_PER_CLIENT: 'lots' }), {
    message: /--max-connections-per-client must be a whole number/,
  })
  t.match(parseConfig(['--max-connections', '500', '--max-connections-per-client', '50'], {}), {
    maxConnections: 500,
    maxConnectionsPerClient: 50,
  })
})

t.test('--restore takes no value, needs peers to ask, and --restore-id needs it', async (t) => {
  const key = { ALMACEN_CLUSTER_KEY: 'a-long-enough-cluster-key' }
  const join = ['--join', 'http://127.0.0.1:9001']
  t.match(parseConfig(['--restore', ...join], key), {
    restore: true,
    join: ['http://127.0.0.1:9001'],
  })
  t.match(parseConfig([...join, '--restore', '--restore-id', 'abc-1'], key), {
    restore: true,
    restoreId: 'abc-1',
  })
  t.match(parseConfig(join, { ...key, ALMACEN_RESTORE: '1' }), { restore: true })
  t.notOk('restore' in (parseConfig(join, key) as object), 'off unless asked for')
  t.throws(() => parseConfig(['--restore'], key), { message: /--restore .*--join/ })
  t.throws(() => parseConfig([...join, '--restore-id', 'abc'], key), {
    message: /--restore-id .*give --restore/,
  })
  t.throws(() => parseConfig(join, { ...key, ALMACEN_RESTORE: 'maybe' }), {
    message: /--restore must be true or false.*ALMACEN_RESTORE/,
  })
  t.throws(() => parseConfig([...join, '--restore', '--restore-id', 'a b'], key), {
    message: /--restore-id must be a node id/,
  })
})

t.test('says when --help or --version was asked for', async (t) => {
  t.equal(parseConfig(['--help'], {}), 'help')
  t.equal(parseConfig(['-h', '--port', 'x'], {}), 'help')
  t.equal(parseConfig(['--version'], {}), 'version')
  t.equal(parseConfig(['-v'], {}), 'version')
})

t.test('never prints the cluster key', async (t) => {
  const described = describeConfig(
    parseConfig([], { ALMACEN_CLUSTER_KEY: 'hunter2-hunter2-hunter2' }) as never
  )
  t.equal(described.clusterKey, 'set')
  t.notMatch(JSON.stringify(described), /hunter2/)
})

t.test('reads the extra host names clients may use, and refuses what is not one', async (t) => {
  t.match(parseConfig([], { ALMACEN_ALLOWED_HOSTS: 'Almacen.Example.com, 10.0.0.5,[fe80::1]' }), {
    allowedHosts: ['almacen.example.com', '10.0.0.5', 'fe80::1'],
  })
  t.match(parseConfig(['--allowed-hosts', 'madrid'], { ALMACEN_ALLOWED_HOSTS: 'x' }), {
    allowedHosts: ['madrid'],
  })
  for (const bad of ['http://almacen.example.com', 'almacen:8080', 'a b']) {
    t.throws(() => parseConfig(['--allowed-hosts', bad], {}), {
      message: `--allowed-hosts expects host names or addresses such as almacen.example.com or 10.0.0.5 (no scheme or port), not "${bad}"`,
    })
  }
  t.match(USAGE, /--allowed-hosts <names>\s+ALMACEN_ALLOWED_HOSTS/)
  t.match(
    USAGE,
    /\n {2}--max-connections-per-client <n>\n {30}ALMACEN_MAX_CONNECTIONS_PER_CLIENT\n/,
    'a flag longer than its column: the variable on the next line'
  )
})

t.test(
  "the database timeout and the worker's node flags are read here, with the rest",
  async (t) => {
    t.match(
      parseConfig(['--db-timeout-ms', '250'], {
        ALMACEN_WORKER_NODE_OPTIONS: ' --cpu-prof  --cpu-prof-dir=/tmp/prof ',
      }),
      { dbTimeoutMs: 250, workerNodeOptions: ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] }
    )
    t.match(parseConfig([], { ALMACEN_DB_TIMEOUT_MS: '60000' }), { dbTimeoutMs: 60_000 })
    t.throws(() => parseConfig([], { ALMACEN_DB_TIMEOUT_MS: '10' }), {
      message:
        '--db-timeout-ms must be a whole number from 100 to 600000, not "10" (ALMACEN_DB_TIMEOUT_MS)',
    })
  }
)

t.test('membership timings are settable, and only those set are passed on', async (t) => {
  const config = parseConfig(
    ['--probe-interval-ms', '200', '--suspicion-ms=1500', '--join-timeout-ms', '400'],
    {
      ALMACEN_PROBE_TIMEOUT_MIN_MS: '100',
      ALMACEN_PROBE_TIMEOUT_MAX_MS: '300',
      ALMACEN_SYNC_INTERVAL_MS: '1000',
      ALMACEN_LEAVE_DEADLINE_MS: '500',
      ALMACEN_SUSPICION_MS: '9000',
    }
  )
  t.same((config as { timing: unknown }).timing, {
    probeIntervalMs: 200,
    probeTimeoutMinMs: 100,
    probeTimeoutMaxMs: 300,
    suspicionMs: 1500,
    syncIntervalMs: 1000,
    leaveDeadlineMs: 500,
    joinTimeoutMs: 400,
  })
  t.throws(() => parseConfig(['--probe-timeout-min-ms', '2000'], {}), {
    message: '--probe-timeout-min-ms (2000) must not be more than --probe-timeout-max-ms (1500)',
  })
  t.throws(() => parseConfig([], { ALMACEN_SUSPICION_MS: 'soon' }), {
    message: /^--suspicion-ms must be a whole number .* \(ALMACEN_SUSPICION_MS\)$/,
  })
})

/** Every ALMACEN_* name in the code that runs (not the tests), with the files it is in. */
function variablesInCode(): Map<string, string[]> {
  const found = new Map<string, string[]>()
  const files = ['knexfile.js']
  for (const dir of ['api', 'client', 'db', 'handlers', 'lib', 'migrations', 'runtime']) {
    for (const file of readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]) {
      if (/\.(ts|js)$/.test(file)) files.push(path.join(dir, file))
    }
  }
  for (const file of files) {
    for (const [name] of readFileSync(path.join(ROOT, file), 'utf8').matchAll(/ALMACEN_[A-Z_]+/g)) {
      found.set(name, [...new Set([...(found.get(name) ?? []), file])])
    }
  }
  return found
}

t.test('every ALMACEN_* variable in the code is in --help and in the README', async (t) => {
  const variables = variablesInCode()
  t.ok(variables.has('ALMACEN_PORT') && variables.has('ALMACEN_URL'), 'the scan finds them')
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('### Running it'))
  const client = mainHelp()
  for (const [name, files] of variables) {
    const where = files.join(', ')
    // The node's in its --help; the client's in its own, or the node's for a node setting it names.
    if (files.some((file) => !file.startsWith('client/'))) {
      t.ok(USAGE.includes(name), `${name} (${where}) is in the node's --help`)
    } else {
      t.ok(client.includes(name) || USAGE.includes(name), `${name} (${where}) is in --help`)
    }
    t.match(
      table,
      new RegExp(`\\| \`${name}\` +\\|`),
      `${name} (${where}) is in the README's table`
    )
  }
})

t.test('schedules backups in minutes, and refuses a count of none kept', async (t) => {
  t.same(parseConfig(['--backup-every-minutes', '60', '--backup-keep', '24'], {}), {
    ...(parseConfig([], {}) as object),
    backup: { everyMs: 3_600_000, keep: 24 },
  })
  t.throws(() => parseConfig(['--backup-keep', '0'], {}), {
    message: /--backup-keep must be a whole number from 1 to 10000, not "0"/,
  })
})
