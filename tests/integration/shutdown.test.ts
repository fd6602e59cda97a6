import { once } from 'node:events'
import { Agent, request } from 'node:http'
import { connect } from 'node:net'
import t from 'tap'
import { exitOf, startProcess, until } from '../fixtures/node-process.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

t.test('closing a node finishes the request in flight before the worker stops', async (t) => {
  const node = await startTestNode(t, { worker: 'process' })
  await api(node, 'POST', '/items', { sku: 'HOSE', name: 'Hose', unit: 'm' })
  const worker = node.worker.pid as number
  process.kill(worker, 'SIGSTOP')
  const inFlight = api(node, 'POST', '/movements', { type: 'receipt', sku: 'HOSE', quantity: 12 })
  for (let i = 0; i < 200 && node.db.inFlight === 0; i++)
    await new Promise((r) => setTimeout(r, 10))
  t.equal(node.db.inFlight, 1, 'the receipt is waiting on the worker')

  const closed = node.close()
  process.kill(worker, 'SIGCONT')
  t.match(
    await inFlight,
    { status: 201, body: { balanceAfter: 12 } },
    'it is answered, not cut off'
  )
  await closed
  await t.rejects(fetch(`${node.url}/health`), 'the node no longer listens')
  t.throws(() => process.kill(worker, 0), 'the worker has exited')
})

t.test('a SIGTERM while the node starts stops it cleanly once it is up', async (t) => {
  const node = await startProcess(
    t,
    ['--port', '0', '--data-dir', tempDir(t), '--name', 'Lugo'],
    {},
    {
      onLine: (line, child) => {
        if (line.msg === 'almacen starting') child.kill('SIGTERM')
      },
    }
  )
  const closed = once(node.child, 'close')
  t.equal(await exitOf(node), 0, 'it exits 0, as after any stop: the signal did not kill it')
  await closed
  const said = node.lines.map((l) => l.msg)
  t.ok(said.includes('stopping once the node has started'), 'the signal came while it started')
  t.ok(said.includes('stopped'), 'and it stopped as it does when running')
})

t.test(
  'SIGTERM under keep-alive traffic: answers close their connections, none is reset, exit in 2 s',
  async (t) => {
    const node = await startProcess(t, ['--port', '0', '--data-dir', tempDir(t), '--name', 'Vigo'])
    const { port } = new URL(node.url)
    // One kept-alive connection, one request after another, as a busy client or a proxy sends.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    t.teardown(() => agent.destroy())
    const get = () =>
      new Promise<{
        status?: number
        connection?: string
        retryAfter?: number
        error?: string
        reused?: boolean
      }>((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: '/stock', agent }, (res) => {
          res.resume()
          res.on('end', () =>
            resolve({
              status: res.statusCode,
              connection: res.headers.connection,
              retryAfter: Number(res.headers['retry-after'] ?? 0),
            })
          )
        })
        req.on('error', (err: NodeJS.ErrnoException) =>
          resolve({ error: err.code, reused: req.reusedSocket })
        )
        req.end()
      })
    const answers: Awaited<ReturnType<typeof get>>[] = []
    const loop = (async () => {
      for (;;) {
        const answer = await get()
        answers.push(answer)
        if (answer.error) return
        // A 503 says when to come back (Retry-After), and a well-behaved client waits.
        if (answer.retryAfter) await new Promise((r) => setTimeout(r, answer.retryAfter! * 1000))
      }
    })()
    // And a client that made one request and keeps its connection open, quiet.
    const idle = connect(Number(port), '127.0.0.1')
    let idleAnswer = ''
    idle.on('data', (chunk) => (idleAnswer += chunk))
    const idleClosed = new Promise<boolean>((resolve) => idle.once('close', resolve))
    idle.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    await until(() => idleAnswer.startsWith('HTTP/1.1 200'), 5000, 'the quiet client was answered')
    await until(() => answers.length >= 20, 5000, 'the client is under way')
    const killedAt = Date.now()
    node.child.kill('SIGTERM')
    t.equal(await exitOf(node), 0, 'the node stopped cleanly')
    const tookMs = Date.now() - killedAt
    t.ok(tookMs < 2000, `and exited in ${tookMs} ms, well before the 10 s force-close`)
    await loop
    t.equal(await idleClosed, false, 'the quiet connection was closed, not reset')

    // The loop ends when nobody listens any more: refused, or, when its new connection was
    // still in the listener's queue as the listener closed, reset by the kernel before the node
    // ever read it (TCP's own race; nothing was sent on it). Never on a kept-alive connection.
    const last = answers.pop()
    t.ok(
      last?.error === 'ECONNREFUSED' || (last?.error === 'ECONNRESET' && last.reused === false),
      `the loop ends when nobody listens any more (${JSON.stringify(last)})`
    )
    t.same(
      answers.filter((a) => a.error),
      [],
      'no request was reset or cut off'
    )
    const firstClose = answers.findIndex((a) => a.connection === 'close')
    t.ok(firstClose > 0, 'from the stop on, answers close their connection')
    t.same(
      answers
        .slice(firstClose)
        .filter((a) => a.connection !== 'close' || ![200, 503].includes(a.status!)),
      [],
      'and every later answer is a 200 or a 503 that closes it too'
    )
  }
)
