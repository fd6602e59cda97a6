import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ConfigError, USAGE, describeConfig, parseConfig } from '../../runtime/config.ts'
import { isLoopback } from '../../lib/loopback.ts'
import { certificateMismatch, certificateNotFromCa, plainHttpRefusal } from '../../runtime/tls.ts'
import { makeCa } from '../fixtures/certificates.ts'
import { tempDir } from '../fixtures/temp-dir.ts'

const dir = tempDir(t)
const ca = makeCa(dir, 'company')
const node = ca.issue('madrid')
const other = ca.issue('sevilla')
const tlsArgs = ['--tls-cert', node.certFile, '--tls-key', node.keyFile]

t.test('loopback is 127.0.0.0/8, ::1 and localhost; the rest reach other machines', async (t) => {
  for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) {
    t.ok(isLoopback(host), host)
  }
  for (const host of [
    '0.0.0.0',
    '::',
    '10.0.1.5',
    '192.168.1.2',
    'madrid.example.com',
    '128.0.0.1',
  ]) {
    t.notOk(isLoopback(host), host)
  }
})

t.test(
  'plain HTTP off loopback is refused unless TLS serves or it is said to be intended',
  async (t) => {
    t.equal(plainHttpRefusal('127.0.0.1', false, false), undefined)
    t.equal(plainHttpRefusal('0.0.0.0', true, false), undefined, 'TLS serves')
    t.equal(plainHttpRefusal('0.0.0.0', false, true), undefined, '--insecure-http')
    t.match(plainHttpRefusal('10.0.1.5', false, false), /--tls-cert and --tls-key.*--insecure-http/)
  }
)

t.test('a node bound to every interface without TLS does not start, and says why', async (t) => {
  t.throws(() => parseConfig(['--host', '0.0.0.0'], {}), {
    constructor: ConfigError,
    message:
      /^--host 0\.0\.0\.0 lets other machines reach this node, and without TLS every API token .* readable .*--insecure-http \(ALMACEN_INSECURE_HTTP=1\)/,
  })
  t.match(parseConfig(['--host', '0.0.0.0', '--insecure-http'], {}), {
    host: '0.0.0.0',
    insecureHttp: true,
  })
  t.match(parseConfig([], { ALMACEN_HOST: '10.0.1.5', ALMACEN_INSECURE_HTTP: '1' }), {
    insecureHttp: true,
  })
  t.match(parseConfig(['--host', '0.0.0.0', ...tlsArgs], {}), {
    tls: { cert: node.cert, key: node.key },
  })
  t.notOk('insecureHttp' in (parseConfig([], {}) as object), 'loopback needs no word about it')
})

t.test('reads the certificate, key and CA, and prints only their file names', async (t) => {
  const config = parseConfig([...tlsArgs, '--tls-ca', ca.certFile], {}) as never
  t.match(config, { tls: { cert: node.cert, key: node.key, ca: ca.cert } })
  const described = JSON.stringify(describeConfig(config))
  t.match(described, node.keyFile)
  t.notMatch(described, /PRIVATE KEY/)
  t.match(parseConfig([], { ALMACEN_TLS_CA: ca.certFile }), { tls: { ca: ca.cert } })
  t.match(USAGE, /--tls-cert <file>\s+ALMACEN_TLS_CERT/)
  t.match(USAGE, /--insecure-http\s+ALMACEN_INSECURE_HTTP/)
})

t.test('a certificate or key that cannot be used is a sentence naming the file', async (t) => {
  const missing = path.join(dir, 'nowhere.crt')
  const garbage = path.join(dir, 'garbage.pem')
  writeFileSync(garbage, 'not a certificate\n')
  const broken = path.join(dir, 'broken.crt')
  writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
  const serverOnly = ca.issue('server-only', { uses: 'serverAuth' })
  const clientOnly = ca.issue('client-only', { uses: 'clientAuth' })
  const expired = ca.issue('expired', { expired: true })
  t.ok(
    parseConfig(['--tls-cert', serverOnly.certFile, '--tls-key', serverOnly.keyFile], {}),
    'a server-only certificate serves when peers do not check certificates (no --tls-ca)'
  )
  const cases: [string[], string | RegExp][] = [
    [
      ['--tls-cert', node.certFile],
      '--tls-cert needs --tls-key: the private key of that certificate',
    ],
    [
      ['--tls-key', node.keyFile],
      '--tls-key needs --tls-cert: the certificate that key belongs to',
    ],
    [
      ['--tls-cert', missing, '--tls-key', node.keyFile],
      `--tls-cert ${missing} cannot be read: there is no such file`,
    ],
    [
      ['--tls-cert', garbage, '--tls-key', node.keyFile],
      `--tls-cert ${garbage} is not a PEM file (it has no "-----BEGIN" line)`,
    ],
    [['--tls-cert', broken, '--tls-key', node.keyFile], /^--tls-cert .* holds no certificate/],
    [
      ['--tls-cert', node.certFile, '--tls-key', other.keyFile],
      `--tls-key ${other.keyFile} is not the key of the certificate in --tls-cert ${node.certFile}`,
    ],
    [['--tls-ca', garbage], /^--tls-ca .* is not a PEM file/],
    [
      ['--tls-cert', serverOnly.certFile, '--tls-key', serverOnly.keyFile, '--tls-ca', ca.certFile],
      /^--tls-cert .* lacks clientAuth in its extendedKeyUsage: peers, .* would refuse it$/,
    ],
    [
      ['--tls-cert', expired.certFile, '--tls-key', expired.keyFile],
      /^--tls-cert .* expired on Jan  2 00:00:00 2020 GMT: make a new one$/,
    ],
    [
      ['--tls-cert', clientOnly.certFile, '--tls-key', clientOnly.keyFile],
      /^--tls-cert .* is not made for a server \(no serverAuth/,
    ],
  ]
  for (const [args, message] of cases) {
    t.throws(() => parseConfig(args, {}), { constructor: ConfigError, message }, args.join(' '))
  }
})

t.test('a node serving HTTPS advertises an https:// URL', async (t) => {
  t.throws(() => parseConfig([...tlsArgs, '--advertise', 'http://10.0.1.5:8080'], {}), {
    message:
      '--advertise http://10.0.1.5:8080 is plain HTTP, but this node serves HTTPS: give its https:// URL',
  })
})

t.test('the certificate must name the host peers reach the node at', async (t) => {
  t.equal(certificateMismatch(node.cert, 'https://127.0.0.1:8080'), undefined)
  t.match(
    certificateMismatch(node.cert, 'https://10.0.1.5:8080'),
    /does not name 10\.0\.1\.5, the host this node is reached at .* its names are IP Address:127\.0\.0\.1/
  )
  const named = ca.issue('bilbao', { altNames: 'DNS:bilbao.example.com' })
  t.equal(certificateMismatch(named.cert, 'https://bilbao.example.com:8443'), undefined)
  t.match(certificateMismatch(named.cert, 'https://vigo.example.com:8443'), /does not name vigo/)
})

t.test("the certificate must be the CA's, or every peer refuses it: said at start", async (t) => {
  t.equal(certificateNotFromCa(node.cert, ca.cert), undefined)
  const other = makeCa(t.testdir(), 'elsewhere')
  t.equal(certificateNotFromCa(node.cert, `${other.cert}\n${ca.cert}`), undefined, 'in a bundle')
  t.match(
    certificateNotFromCa(other.issue('stray').cert, ca.cert),
    /^the certificate \(--tls-cert\) was not signed by the CA \(--tls-ca\) .* every peer would refuse it\. Its issuer is CN=elsewhere-test-CA/
  )
})
