// What a node answers on the wire when a body is too big or a client hangs up, seen on raw
// sockets (node:net): exactly which bytes come back, and whether the connection closes.
import { connect, type Socket } from 'node:net'
import { pino } from 'pino'
import t from 'tap'
import type { RunningNode } from '../../runtime/node.ts'
import { until, within } from '../fixtures/node-process.ts'
import { startTestNode } from '../fixtures/test-node.ts'
import { nodeFetch, tokenOf } from '../fixtures/tokens.ts'

interface Test {
  teardown(fn: () => unknown): void
}

/** A node whose log lines (debug and up) are kept in `lines`. */
async function startLogged(t: Test): Promise<{ node: RunningNode; lines: any[] }> {
  const lines: any[] = []
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  const node = await startTestNode(t, { name: 'Wire', logLevel: 'debug', log })
  authorization = `Authorization: Bearer ${tokenOf(node.url)}`
  return { node, lines }
}

/** A raw connection that records what comes back and when it closes. */
function open(node: RunningNode): {
  socket: Socket
  received: () => string
  closed: Promise<void>
} {
  const socket = connect(node.port, '127.0.0.1')
  let text = ''
  socket.on('data', (chunk) => (text += chunk))
  socket.on('error', () => {}) // a reset after the answer is read is fine: it is in `text`
  return {
    socket,
    received: () => text,
    closed: new Promise((resolve) => socket.once('close', () => resolve())),
  }
}

/** The token of the node the test started last: what is tried here is past authentication. */
let authorization = ''

const head = (path: string, headers: string[]) =>
  [
    `POST ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    authorization,
    ...headers,
    '',
    '',
  ].join('\r\n')

/** The status line, the headers (lower-cased) and the JSON body of the one answer received. */
function parse(text: string) {
  const [top, body] = text.split('\r\n\r\n')
  const [status, ...fields] = top.split('\r\n')
  const headers = Object.fromEntries(
    fields.map((f) => [
      f.slice(0, f.indexOf(':')).toLowerCase(),
      f.slice(f.indexOf(':') + 1).trim(),
    ])
  )
  return { status, headers, body: body ? JSON.parse(body) : undefined }
}

t.test('a chunked body over 64 KiB gets a 413, then the connection closes', async (t) => {
  const { node } = await startLogged(t)
  const { socket, received, closed } = open(node)
  socket.write(head('/movements', ['Transfer-Encoding: chunked']))
  const chunk = 'x'.repeat(16 * 1024)
  for (let i = 0; i < 8; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)
  await within(closed, 5000, 'the connection closed')
  const answer = parse(received())
  t.equal(answer.status, 'HTTP/1.1 413 Payload Too Large')
  t.equal(answer.headers.connection, 'close')
  t.match(answer.body, { status: 413, code: 'PAYLOAD_TOO_LARGE' })
})

t.test(
  'a declared body over the limit gets its 413 at once, unread, and the connection closes',
  async (t) => {
    const { node } = await startLogged(t)
    // Not a byte of the body is sent: the answer cannot wait for it. This route would act on
    // any body (it takes the node out of the network), so nothing may run before the refusal.
    const { socket, received, closed } = open(node)
    socket.write(head('/members/leave', ['Content-Length: 100000000']))
    await within(closed, 5000, 'the connection closed with no body sent')
    t.match(parse(received()), {
      status: 'HTTP/1.1 413 Payload Too Large',
      headers: { connection: 'close' },
      body: { code: 'PAYLOAD_TOO_LARGE', error: 'Request body is larger than 65536 bytes' },
    })
    t.match(
      (await nodeFetch(`${node.url}/members`).then((r) => r.json())).participating,
      true,
      'the node did not leave'
    )

    // A client that sends the body anyway is cut off long before its 100 MB are read.
    const pushing = open(node)
    pushing.socket.write(head('/movements', ['Content-Length: 100000000']))
    const piece = Buffer.alloc(256 * 1024, 'x')
    let sent = 0
    while (!pushing.socket.destroyed && sent < 100_000_000) {
      sent += piece.length
      if (!pushing.socket.write(piece)) {
        const room = new Promise((resolve) => {
          pushing.socket.once('drain', resolve)
          pushing.socket.once('close', resolve)
        })
        await within(room, 5000, 'room to write, or the connection closed')
      }
    }
    await within(pushing.closed, 5000, 'the connection closed')
    t.match(parse(pushing.received()).status, 'HTTP/1.1 413')
    t.ok(sent < 25_000_000, `the node read at most what was in flight (${sent} bytes sent)`)

    // curl asks first for a large body (Expect: 100-continue): the answer is no, not "go on".
    const asking = open(node)
    asking.socket.write(head('/movements', ['Content-Length: 100000000', 'Expect: 100-continue']))
    await within(asking.closed, 5000, 'the connection closed')
    t.match(parse(asking.received()).status, 'HTTP/1.1 413', 'no 100 Continue before it')
  }
)

t.test('a client that hangs up mid-upload is a debug line, not an error', async (t) => {
  const { node, lines } = await startLogged(t)
  const { socket, received } = open(node)
  // Asking to go on (Expect: 100-continue) shows when the node has begun on the request.
  socket.write(head('/movements', ['Content-Length: 100', 'Expect: 100-continue']))
  await until(
    () => received().startsWith('HTTP/1.1 100 Continue'),
    5000,
    'the node waits for the body'
  )
  socket.write('{"type":"receipt","sku":')
  socket.destroy()
  await until(() => lines.some((l) => l.url === '/movements'), 5000, 'the request is logged')
  const line = lines.find((l) => l.url === '/movements')
  t.match(line, { level: 20, msg: 'client closed the request', method: 'POST', status: 499 })
  t.notOk(line.err, 'no stack')
  t.same(
    lines.filter((l) => l.level >= 40).map((l) => l.msg),
    [],
    'nothing at warn or error level'
  )
})

t.test(
  'a target in absolute form (as proxies send it) is served by its path; a bad one gets a 400',
  async (t) => {
    const { node } = await startLogged(t)
    const { hostname, port } = new URL(node.url)
    const ask = async (target: string) => {
      const { socket, received, closed } = open(node)
      socket.write(
        [`GET ${target} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close', '', ''].join(
          '\r\n'
        )
      )
      await within(closed, 5000, 'the answer')
      return parse(received())
    }
    t.match(await ask(`http://${hostname}:${port}/health`), {
      status: 'HTTP/1.1 200 OK',
      body: { status: 'ok' },
    })
    t.match(await ask('/x/../health'), { status: 'HTTP/1.1 200 OK', body: { status: 'ok' } })
    t.match(await ask('http://[::1'), {
      status: 'HTTP/1.1 400 Bad Request',
      body: { code: 'BAD_REQUEST', error: /not a path/ },
    })
  }
)

t.test(
  'what cannot be read as a request gets a JSON refusal naming why, and the node serves on',
  async (t) => {
    const { node } = await startLogged(t)
    const cases: [string, string, object][] = [
      [
        head('/movements', [`X-Padding: ${'a'.repeat(20_000)}`]),
        'HTTP/1.1 431 Request Header Fields Too Large',
        { status: 431, code: 'HEADERS_TOO_LARGE', error: /headers are too large: at most 16 KiB/ },
      ],
      [
        'GARBAGE / FOO\r\n\r\n',
        'HTTP/1.1 400 Bad Request',
        { status: 400, code: 'BAD_REQUEST', error: /not HTTP\/1.1 this node can read/ },
      ],
    ]
    for (const [sent, status, body] of cases) {
      const { socket, received, closed } = open(node)
      socket.write(sent)
      await within(closed, 5000, `the connection closed after ${status}`)
      const answer = parse(received())
      t.equal(answer.status, status)
      t.match(answer.headers, { 'content-type': /application\/json/, connection: 'close' })
      t.ok(answer.headers['x-request-id'], 'with a request id, as every answer')
      t.match(answer.body, body)
    }
    t.equal((await nodeFetch(`${node.url}/health`)).status, 200, 'the node serves on')
  }
)

t.test(
  'a Host header that is no host and port, or a target that is no path, gets a 400 in JSON',
  async (t) => {
    const { node } = await startLogged(t)
    // `x/peer` would make the target /ping route as /peer/ping, past the checks made on /ping.
    const bad = ['localhost:99999', 'localhost:abc', 'a%b', '[zz]', 'x/peer', 'a@b', 'x?']
    for (const host of bad) {
      const { socket, received, closed } = open(node)
      socket.write(`GET /health HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
      await within(closed, 5000, `the connection closed after Host: ${host}`)
      t.match(parse(received()), {
        status: 'HTTP/1.1 400 Bad Request',
        headers: { 'content-type': /application\/json/ },
        body: { code: 'BAD_REQUEST', error: /Host header is not a host name/ },
      })
    }
    // A target whose second character is a slash or a backslash names a host: //peer/stock was
    // served, and logged, as /stock.
    for (const target of [
      '//peer/stock',
      '/\\peer/stock',
      '//localhost/stock',
      '/.//peer/stock',
      '/a/..//peer/stock',
      'http://localhost//peer/stock',
    ]) {
      const { socket, received, closed } = open(node)
      socket.write(`GET ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
      await within(closed, 5000, `the connection closed after GET ${target}`)
      t.match(
        parse(received()),
        {
          status: 'HTTP/1.1 400 Bad Request',
          body: { code: 'BAD_REQUEST', error: /not a path this node serves/ },
        },
        target
      )
    }
    // Host names and addresses as clients send them are read as before.
    for (const host of [`[::1]:${node.port}`, `LOCALHOST:${node.port}`, '127.0.0.1.']) {
      const { socket, received, closed } = open(node)
      socket.write(`GET /health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
      await within(closed, 5000, `the answer to Host: ${host}`)
      t.notMatch(parse(received()).status, / 400 /, `Host: ${host} is a host`)
    }
  }
)
