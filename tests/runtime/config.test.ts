import { hostname } from 'node:os'
import t from 'tap'
import { ConfigError, USAGE, describeConfig, parseConfig } from '../../runtime/config.ts'

t.test('runs with no settings at all: port 8080, ./data, loopback, the host name', async (t) => {
  t.same(parseConfig([], {}), {
    port: 8080,
    host: '127.0.0.1',
    dataDir: './data',
    name: hostname(),
    join: [],
    advertise: undefined,
    clusterKey: undefined,
    logLevel: 'info',
    dbTimeoutMs: 5000,
  })
})

t.test('reads ALMACEN_* variables, and flags win over them', async (t) => {
  const env = {
    ALMACEN_PORT: '9000',
    ALMACEN_HOST: '0.0.0.0',
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

t.test('names the bad setting', async (t) => {
  t.throws(
    () => parseConfig(['--port=-1'], {}),
    new ConfigError('--port must be a whole number from 0 to 65535, not "-1"')
  )
  t.throws(() => parseConfig([], { ALMACEN_PORT: '8o8o' }), { message: /--port/ })
  t.throws(() => parseConfig(['--join', 'ftp://x'], {}), {
    message: /--join expects http\(s\) URLs/,
  })
  t.throws(() => parseConfig(['--name', ''], {}), { message: /--name must be/ })
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
})

t.test('returns null for --help', async (t) => {
  t.equal(parseConfig(['--help'], {}), null)
  t.equal(parseConfig(['-h'], {}), null)
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
})
