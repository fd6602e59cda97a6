// Nodes over HTTPS, with certificates a throwaway company CA signs (made with openssl, as the
// README says): clients reach them with the CA, peers join, replicate and carry a transfer, and a
// node whose certificate another CA signed is kept out, both ways.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { connect as connectTls } from 'node:tls'
import { promisify } from 'node:util'
import { pino, type Logger } from 'pino'
import t from 'tap'
import { send } from '../../client/http-request.ts'
import { readTls } from '../../runtime/tls.ts'
import { makeCa, type Ca } from '../fixtures/certificates.ts'
import { almacen } from '../fixtures/client-kit.ts'
import { CLUSTER_KEY, QUICK_TIMING, runMain, until } from '../fixtures/node-process.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api, startTestNode, trustCa } from '../fixtures/test-node.ts'
import { tokenOf } from '../fixtures/tokens.ts'
import { request as httpsRequest } from 'node:https'

const dir = tempDir(t)
const company = makeCa(dir, 'company')
const stranger = makeCa(dir, 'stranger')

type Test = Parameters<typeof startTestNode>[0]

/** A node on 127.0.0.1 serving HTTPS with a certificate `ca` signed, trusting the company CA. */
function tlsNode(
  t: Test,
  name: string,
  ca: Ca = company,
  join: string[] = [],
  log?: Logger,
  worker?: 'process'
) {
  const issued = ca.issue(name.toLowerCase())
  return startTestNode(t, {
    name,
    clusterKey: CLUSTER_KEY,
    timing: QUICK_TIMING,
    join,
    tls: readTls({ cert: issued.certFile, key: issued.keyFile, ca: company.certFile }),
    log,
    worker,
  })
}

const names = async (node: { url: string }, state = 'alive') =>
  ((await api(node, 'GET', '/members')).body.members as { name: string; state: string }[])
    .filter((m) => m.state === state)
    .map((m) => m.name)
    .sort()

t.test('a node with a certificate serves HTTPS only, to clients that trust its CA', async (t) => {
  const node = await tlsNode(t, 'Madrid')
  t.match(node.url, /^https:\/\/127\.0\.0\.1:\d+$/)
  t.match(node.advertise, /^https:\/\/127\.0\.0\.1:\d+$/)
  const health = new URL('/health', node.url)
  const signal = AbortSignal.timeout(10_000)
  const answer = await send(health, { method: 'GET', headers: {}, signal, ca: company.cert })
  t.equal(answer.status, 200)

  // curl, as a person or a monitor would ask it.
  const curl = (...args: string[]) =>
    promisify(execFile)('curl', ['-sS', '--max-time', '5', ...args])
  const stock = await curl(
    '--cacert',
    company.certFile,
    '-H',
    `authorization: Bearer ${tokenOf(node.url)}`,
    `${node.url}/stock`
  )
  t.match(JSON.parse(stock.stdout), { stock: [] }, 'curl --cacert reads the stock')
  await t.rejects(curl(health.href), { message: /certificate/i }, 'without the CA: not trusted')
  await t.rejects(
    send(health, { method: 'GET', headers: {}, signal }),
    { code: /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/ },
    "Node's own trust store does not know the company CA"
  )
  const plain = new URL(health.href.replace('https:', 'http:'))
  await t.rejects(send(plain, { method: 'GET', headers: {}, signal }), 'plain HTTP gets no answer')
  t.equal((await api(node, 'GET', '/health')).status, 200, 'the node is still well')

  // A peer's route, from a caller with no client certificate: refused before the signature check.
  const peer = await send(new URL('/peer/ping', node.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    signal,
    ca: company.cert,
  })
  t.equal(peer.status, 401)
  t.match(JSON.parse(peer.text), {
    code: 'UNAUTHENTICATED',
    error: /needs a client certificate signed by this network's CA/,
  })
  // The same route by a path the router resolves to it: dot segments, or an absolute-form target.
  const { hostname, port } = new URL(node.url)
  for (const path of ['/x/../peer/ping', `https://${hostname}:${port}/peer/ping`]) {
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: hostname,
          port,
          method: 'POST',
          path,
          ca: company.cert,
          agent: false, // a connection of its own, with no client certificate
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          let text = ''
          res.on('data', (chunk) => (text += chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        }
      )
      req.on('error', reject)
      req.end('{}')
    })
    t.match(
      { status: answer.status, body: JSON.parse(answer.text) },
      { status: 401, body: { error: /needs a client certificate/ } },
      `${path}: refused for want of a client certificate too`
    )
  }
})

t.test(
  'stopping an HTTPS node answers the request in flight, and closes quiet connections',
  async (t) => {
    const node = await tlsNode(t, 'Madrid', company, [], undefined, 'process')
    await api(node, 'POST', '/items', { sku: 'HOSE', name: 'Hose', unit: 'm' })
    const { port } = new URL(node.url)
    const quiet = connectTls({ host: '127.0.0.1', port: Number(port), ca: company.cert })
    let answer = ''
    quiet.on('data', (chunk) => (answer += chunk))
    let closed = false
    quiet.once('close', () => (closed = true))
    quiet.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    await until(() => answer.startsWith('HTTP/1.1 200'), 5000, 'answered over TLS')
    t.match(answer, /keep-alive/i, 'the connection is kept')

    const worker = node.worker.pid as number
    process.kill(worker, 'SIGSTOP')
    const inFlight = api(node, 'POST', '/movements', { type: 'receipt', sku: 'HOSE', quantity: 12 })
    await until(() => node.db.inFlight === 1, 5000, 'the receipt waits on the worker')
    const stopping = node.close()
    // Well before the 10 s after which a stop cuts what is left: the connection was tracked.
    await until(() => closed, 5000, 'the quiet connection is closed by the stop')
    process.kill(worker, 'SIGCONT')
    t.match(await inFlight, { status: 201, body: { balanceAfter: 12 } }, 'answered, not cut off')
    await stopping
  }
)

t.test('two nodes over HTTPS join, replicate, and carry a transfer', async (t) => {
  const madrid = await tlsNode(t, 'Madrid')
  const sevilla = await tlsNode(t, 'Sevilla', company, [madrid.url])
  for (const node of [madrid, sevilla]) {
    await until(async () => (await names(node)).join() === 'Madrid,Sevilla', 20_000, 'both alive')
  }
  const members = (await api(madrid, 'GET', '/members')).body.members
  t.ok(
    members.every((m: { address: string }) => m.address.startsWith('https://')),
    'every member is at an https:// address'
  )

  t.equal(
    (await api(madrid, 'POST', '/items', { sku: 'BOLT', name: 'Bolt', unit: 'ea' })).status,
    201
  )
  const receipt = { type: 'receipt', sku: 'BOLT', quantity: 50 }
  t.equal((await api(madrid, 'POST', '/movements', receipt)).status, 201)
  await until(
    async () => {
      const { replicas } = (await api(sevilla, 'GET', '/replicas')).body
      return replicas.some(
        (r: { name: string; cursor: { ledger: { seq: number } } }) =>
          r.name === 'Madrid' && r.cursor.ledger.seq >= 1
      )
    },
    20_000,
    "Sevilla holds Madrid's ledger"
  )

  const sent = await api(madrid, 'POST', '/transfers', {
    to: 'Sevilla',
    lines: [{ sku: 'BOLT', quantity: 10 }],
  })
  t.equal(sent.status, 201, 'sent')
  await until(
    async () =>
      (await api(sevilla, 'GET', `/transfers/${sent.body.id}`)).body?.state === 'announced',
    20_000,
    'Sevilla hears of the transfer'
  )
  const received = await api(sevilla, 'POST', `/transfers/${sent.body.id}/receive`, {
    lines: [{ sku: 'BOLT', received: 10 }],
    final: true,
  })
  t.equal(received.status, 200, 'received')
  t.match((await api(sevilla, 'GET', '/stock/BOLT')).body, { onHand: 10 })
  await until(
    async () => (await api(madrid, 'GET', `/transfers/${sent.body.id}`)).body?.state === 'closed',
    20_000,
    'Madrid hears the receipt'
  )
})

t.test(
  'a node whose certificate another CA signed cannot join, with the cluster key',
  async (t) => {
    const lines: { msg: string; reason?: string }[] = []
    const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) })
    const madrid = await tlsNode(t, 'Madrid', company, [], log)
    const impostor = await tlsNode(t, 'Impostor', stranger)
    trustCa(impostor.url, stranger.cert) // the test's own calls to it
    const joined = await api(impostor, 'POST', '/members/join', { addresses: [madrid.url] })
    t.match(joined, { status: 502, body: { code: 'PEER_UNREACHABLE' } }, 'its join is refused')
    t.ok(
      lines.some((l) => /without a certificate the company CA/.test(l.msg) && l.reason),
      'Madrid refused its request for its client certificate, and says so'
    )
    // And the other way: Madrid does not believe the impostor's certificate when it calls it.
    const back = await api(madrid, 'POST', '/members/join', { addresses: [impostor.url] })
    t.match(back, { status: 502, body: { code: 'PEER_UNREACHABLE' } }, 'Madrid cannot join it')
    t.same(await names(madrid), ['Madrid'])
    t.same(await names(impostor), ['Impostor'])
  }
)

t.test(
  'the client trusts the company CA with --ca or ALMACEN_CA, and says what is missing without',
  async (t) => {
    const node = await tlsNode(t, 'Madrid')
    await api(node, 'POST', '/items', { sku: 'NUT', name: 'Nut', unit: 'ea' })
    const withCa = await almacen(['--url', node.url, '--ca', company.certFile, 'stock', '--json'])
    t.equal(withCa.code, 0, withCa.stderr)
    t.match(JSON.parse(withCa.stdout), { stock: [{ sku: 'NUT' }] })
    const fromEnv = await almacen(['--url', node.url, 'stock', 'NUT'], {
      ALMACEN_CA: company.certFile,
    })
    t.equal(fromEnv.code, 0, fromEnv.stderr)

    const started = Date.now()
    const without = await almacen(['--url', node.url, '--timeout', '60', 'stock'])
    t.equal(without.code, 3, 'unreachable')
    t.match(
      without.stderr,
      /^almacen: Cannot talk to the almacen node at https:\S+ safely: its TLS certificate is not trusted: .*; give the CA that signed it with --ca or ALMACEN_CA\.\n$/
    )
    t.ok(
      Date.now() - started < 30_000,
      'a certificate refused is not tried again until the timeout'
    )
    // The same node by an http:// URL: it closes plain requests unanswered; the client says why.
    const plain = node.url.replace(/^https:/, 'http:')
    const http = await almacen(['--url', plain, '--ca', company.certFile, 'stock'])
    t.equal(http.code, 3)
    t.equal(
      http.stderr,
      `almacen: The almacen node at ${plain} serves HTTPS only (plain HTTP: connection closed before the answer): use ${node.url}\n`
    )
    const wrongCa = await almacen(['--url', node.url, '--ca', stranger.certFile, 'stock'])
    t.equal(wrongCa.code, 3, "another CA's certificate does not make it trusted")
    // A backup downloaded over HTTPS (the client's other way of reading an answer).
    const copy = path.join(dir, 'madrid.sqlite')
    const backup = await almacen(['--url', node.url, '--ca', company.certFile, 'backup', copy])
    t.equal(backup.code, 0, backup.stderr)
    t.equal(
      readFileSync(copy).subarray(0, 15).toString(),
      'SQLite format 3',
      'the file is a database'
    )
    const missing = await almacen(['--url', node.url, '--ca', path.join(dir, 'none.crt'), 'stock'])
    t.equal(missing.code, 2)
    t.match(missing.stderr, /--ca .*none\.crt cannot be read/)
  }
)

t.test('a node bound beyond loopback without TLS refuses to start, and says why', async (t) => {
  const data = path.join(dir, 'refused')
  const run = await runMain(['--host', '0.0.0.0', '--port', '0', '--data-dir', data])
  t.equal(run.code, 2)
  t.match(
    run.stderr,
    /^almacen: --host 0\.0\.0\.0 lets other machines reach this node, .*--insecure-http/
  )
  t.notMatch(run.stderr, /\n\s+at /, 'no stack trace')

  const other = stranger.issue('mismatch')
  const mismatched = await runMain([
    '--tls-cert',
    company.issue('madrid-2').certFile,
    '--tls-key',
    other.keyFile,
    '--data-dir',
    data,
  ])
  t.equal(mismatched.code, 2)
  t.match(
    mismatched.stderr,
    /^almacen: --tls-key .* is not the key of the certificate in --tls-cert/
  )
  t.notMatch(mismatched.stderr, /\n\s+at /, 'no stack trace')

  // A certificate for another address: peers would refuse it, so the node does not start.
  const elsewhere = company.issue('elsewhere', { altNames: 'IP:10.0.1.5' })
  const tls = ['--tls-cert', elsewhere.certFile, '--tls-key', elsewhere.keyFile]
  const unnamed = await runMain([...tls, '--port', '0', '--data-dir', data])
  t.equal(unnamed.code, 1)
  // Its fatal line, wherever it lands: lines are written asynchronously, and at exit pino writes
  // what is pending at once, sometimes before an earlier line still in flight (1 run in 25 here).
  const fatal = unnamed.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .find((line) => line.level === 60)
  t.match(fatal, { level: 60, msg: /^the certificate \(--tls-cert\) does not name 127\.0\.0\.1/ })
})
