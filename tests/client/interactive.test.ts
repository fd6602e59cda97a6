import { createServer } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import prompts from 'prompts'
import t from 'tap'
import { EXIT } from '../../client/errors.ts'
import { runInteractive } from '../../client/interactive.ts'
import { closedPort, inject, seed } from '../fixtures/client-kit.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { tokenOf } from '../fixtures/tokens.ts'

t.test(
  'a session greets with the warehouse, records a receipt through the menus and quits',
  async (t) => {
    const node = await startTestNode(t, { name: 'Madrid' })
    await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
    const lines: string[] = []
    const unused = inject([
      'movements',
      'receive',
      'BOLT-M8',
      '12',
      'PO-1',
      '',
      true,
      'back',
      'quit',
    ])
    const code = await runInteractive({
      url: node.url,
      token: tokenOf(node.url),
      prompts,
      print: (l) => lines.push(l),
      attempts: 1,
    })
    t.same(unused(), [])
    t.equal(code, EXIT.ok)
    t.equal(lines[0], `almacen · Madrid · ${node.url}`)
    t.match(lines.join('\n'), '✔ Received 12 ea of BOLT-M8 (PO-1). On hand now: 12 ea.')
    t.equal(lines.at(-1), 'Bye.')
    t.equal((await api(node, 'GET', '/stock/BOLT-M8')).body.onHand, 12)
  }
)

t.test(
  'a node that is down at start is explained, offered again, and quitting exits 3',
  async (t) => {
    const url = await closedPort()
    const lines: string[] = []
    const unused = inject([true, false]) // try again, then quit
    const code = await runInteractive({ url, prompts, print: (l) => lines.push(l), attempts: 1 })
    t.same(unused(), [])
    t.equal(code, EXIT.unreachable)
    const message = `✖ Cannot reach the almacen node at ${url} (connection refused). Is it running? (npm start)`
    t.same(lines, [message, message])
  }
)

t.test(
  'a node that comes back while the person is asked is used as if nothing happened',
  async (t) => {
    const dataDir = t.testdir()
    const node = await startTestNode(t, { name: 'Madrid', dataDir })
    const url = node.url
    const { port } = new URL(url)
    await node.close()
    const lines: string[] = []
    let restarted: Awaited<ReturnType<typeof startTestNode>> | undefined
    const unused = inject([true, 'quit'])
    const asking = (async (question, options) => {
      // the node is started again while the "What now?" question is on screen
      if ((question as { message?: string }).message === 'What now?' && !restarted) {
        restarted = await startTestNode(t, { name: 'Madrid', port: Number(port), dataDir })
      }
      return prompts(question, options)
    }) as typeof prompts
    const code = await runInteractive({
      url,
      token: tokenOf(url),
      prompts: asking,
      print: (l) => lines.push(l),
      attempts: 1,
    })
    t.same(unused(), [])
    t.equal(code, EXIT.ok)
    t.equal(lines.filter((l) => l.startsWith('✖ Cannot reach')).length, 1)
    t.match(lines.join('\n'), `almacen · Madrid · ${url}`)
  }
)

t.test(
  'a node that refuses at start, or answers as no node does, is said in a line: exit 1',
  async (t) => {
    const node = await startTestNode(t, { name: 'Madrid' })
    const lines: string[] = []
    const wrong = await runInteractive({
      url: node.url,
      token: 'not-a-token',
      prompts,
      print: (l) => lines.push(l),
      attempts: 1,
    })
    t.equal(wrong, EXIT.refused)
    t.match(lines, [/^✖ .* \(UNAUTHENTICATED\)$/])
    // A proxy's error page (its node away: unreachable, as one that does not answer), and an
    // answer with nothing in it.
    for (const [status, body, exit] of [
      [502, '<html><body>Bad Gateway</body></html>', EXIT.unreachable],
      [200, '', EXIT.refused],
    ] as const) {
      const server = createServer((_req, res) => {
        res.writeHead(status, { 'content-type': 'text/html' })
        res.end(body)
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      t.teardown(() => server.close())
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const said: string[] = []
      const code = await runInteractive({ url, prompts, print: (l) => said.push(l), attempts: 1 })
      t.equal(code, exit, `${status}`)
      t.equal(said.length, 1, `${status}: one line`)
      t.match(said[0], /^✖ /)
    }
  }
)
