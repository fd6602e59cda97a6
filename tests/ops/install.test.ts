// The service's install steps (ops/almacen.service) run `npm ci --omit=dev && npm run build` in a
// fresh clone. That takes minutes; this asks the compiler instead which packages the production
// build reads, and package-lock.json whether npm ci --omit=dev installs each of them.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, realpathSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { parseConfig } from '../../runtime/config.ts'
import { makeCa } from '../fixtures/certificates.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { ROOT } from '../fixtures/root.ts'

const json = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8'))

/** The package-lock.json key of the package a file belongs to (its innermost node_modules/x). */
function packageOf(file: string): string | undefined {
  const relative = path.relative(ROOT, realpathSync(file)).split(path.sep).join('/')
  return /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(relative)?.[1]
}

t.test('npm ci --omit=dev installs every package the production build reads', async (t) => {
  // The build's first step is the tsc run (then the web client's bundle, whose packages are
  // dependencies too: esbuild and preact).
  const [command, ...args] = json('package.json').scripts.build.split(' && ')[0].split(' ')
  t.equal(command, 'tsc', 'the build is a tsc run (what this test knows how to ask)')
  const tsc = path.join(ROOT, 'node_modules/.bin', command)
  // Through sh, to clear NODE_OPTIONS: tap adds its coverage hook to every child's, and under it
  // tsc's extensionless ES module entry fails to load.
  const { stdout } = await promisify(execFile)(
    '/bin/sh',
    ['-c', 'NODE_OPTIONS= exec "$0" "$@"', tsc, ...args, '--noEmit', '--listFiles'],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }
  )
  const read = stdout.split('\n').filter((line) => line.includes('/node_modules/'))
  const packages = new Set([tsc, ...read].map(packageOf))
  t.ok(packages.has('node_modules/@types/node'), 'the list covers type packages')

  const { packages: locked } = json('package-lock.json')
  const devOnly = [...packages].filter((key) => !key || !locked[key] || locked[key].dev)
  t.same(devOnly, [], 'installed only with devDependencies: move them to dependencies')
})

/** The unit's settings: `Key=value` lines, several values for a key kept in order. */
function unitSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>()
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line)
    if (match) settings.set(match[1], [...(settings.get(match[1]) ?? []), match[2]])
  }
  return settings
}

t.test('the settings example is a whole configuration: key, TLS, join list, address', async (t) => {
  const env: Record<string, string> = {}
  for (const line of readFileSync(path.join(ROOT, 'ops/almacen.env.example'), 'utf8').split('\n')) {
    const match = /^(ALMACEN_[A-Z_]+)=(.*)$/.exec(line)
    if (match) env[match[1]] = match[2]
  }
  // Where the unit's LoadCredential= puts the key, %d being the credentials directory.
  const unit = unitSettings(readFileSync(path.join(ROOT, 'ops/almacen.service'), 'utf8'))
  t.same(unit.get('LoadCredential'), ['cluster-key:/etc/almacen/cluster-key'])
  t.ok(unit.get('Environment')?.includes('ALMACEN_CLUSTER_KEY_FILE=%d/cluster-key'))
  const credentials = tempDir(t)
  writeFileSync(path.join(credentials, 'cluster-key'), `${randomBytes(32).toString('base64url')}\n`)
  // The certificate files it names, made as the README's TLS section makes them.
  t.same(
    [env.ALMACEN_TLS_CERT, env.ALMACEN_TLS_KEY, env.ALMACEN_TLS_CA],
    ['/etc/almacen/tls/node.crt', '/etc/almacen/tls/node.key', '/etc/almacen/tls/ca.crt']
  )
  const ca = makeCa(credentials, 'company')
  const issued = ca.issue('madrid-norte', { altNames: 'IP:10.0.1.5' })
  const config = parseConfig([], {
    ...env,
    ALMACEN_CLUSTER_KEY_FILE: path.join(credentials, 'cluster-key'),
    ALMACEN_TLS_CERT: issued.certFile,
    ALMACEN_TLS_KEY: issued.keyFile,
    ALMACEN_TLS_CA: ca.certFile,
  })
  t.match(config, {
    name: 'Madrid Norte',
    host: '0.0.0.0',
    advertise: 'https://10.0.1.5:8080',
    join: ['https://10.0.2.7:8080', 'https://10.0.3.9:8080'],
    clusterKey: /^[\w-]{43}$/,
    tls: { cert: issued.cert, key: issued.key, ca: ca.cert },
  })
})

t.test('the unit keeps what the node writes private, and its settings unreadable', async (t) => {
  const text = readFileSync(path.join(ROOT, 'ops/almacen.service'), 'utf8')
  const unit = unitSettings(text)
  t.same(unit.get('UMask'), ['0077'])
  t.same(unit.get('StateDirectoryMode'), ['0700'])
  t.match(
    text,
    /^#\s+install -m 0600 \S+\/ops\/almacen\.env\.example \/etc\/almacen\/almacen\.env$/m
  )
  t.match(text, /^#\s+\(umask 077 && .*\n#\s+> \/etc\/almacen\/cluster-key\)$/m)
})

t.test('systemd accepts the unit and rates its exposure low', async (t) => {
  const unit = path.join(ROOT, 'ops/almacen.service')
  const analyze = (...args: string[]) => promisify(execFile)('systemd-analyze', [...args, unit])
  const verify = await analyze('verify').catch((err: NodeJS.ErrnoException) => err)
  if ((verify as NodeJS.ErrnoException).code === 'ENOENT') {
    return t.plan(0, 'systemd-analyze is not installed here')
  }
  t.notOk(verify instanceof Error, 'systemd-analyze verify passes')
  const { stdout } = await analyze('security', '--offline=true', '--no-pager')
  const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(stdout)?.[1])
  t.ok(exposure <= 2, `exposure ${exposure} (8.5 before the sandboxing)`)
})
