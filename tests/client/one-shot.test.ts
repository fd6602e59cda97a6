// The one-shot commands against real nodes, run as scripts run them (without a terminal, in the
// test's process; main.test.ts runs the process itself): what lands on stdout and stderr, and the
// exit status.
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { LISTENING_FILE } from '../../api/access.ts'
import { tokenFor, tokenNow } from '../../client/token.ts'
import { almacen, closedPort, seed } from '../fixtures/client-kit.ts'
import { droppingProxy } from '../fixtures/dropping-proxy.ts'
import { until } from '../fixtures/node-process.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

const ledger = async (node: { url: string }) =>
  (await api(node, 'GET', '/movements?order=asc')).body.movements

t.test('receive, issue, count and adjust each print one sentence and exit 0', async (t) => {
  const node = await startTestNode(t, { name: 'Madrid' })
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
  const url = ['--url', node.url]
  t.same(await almacen(['receive', 'bolt-m8', '200', '--ref', 'PO-17', ...url]), {
    code: 0,
    stdout: 'Received 200 ea of BOLT-M8 (PO-17). On hand now: 200 ea. Ledger entry #1.\n',
    stderr: '',
  })
  t.match(await almacen(['issue', 'BOLT-M8', '40', '--ref', 'WO-881', ...url]), {
    code: 0,
    stdout: 'Issued 40 ea of BOLT-M8 (WO-881). On hand now: 160 ea. Ledger entry #2.\n',
  })
  t.match(await almacen(['count', 'BOLT-M8', '158', ...url]), {
    code: 0,
    stdout:
      'Counted 158 ea of BOLT-M8: the records said 160 ea, adjusted by -2 ea. Ledger entry #3.\n',
  })
  t.match(await almacen(['adjust', 'BOLT-M8', '-8', '--note', 'damaged', ...url]), {
    code: 0,
    stdout: 'Adjusted BOLT-M8 by -8 ea. On hand now: 150 ea. Ledger entry #4.\n',
  })
  t.match(await ledger(node), [
    { type: 'receipt', reference: 'PO-17' },
    { type: 'issue', reference: 'WO-881' },
    { type: 'adjustment', countedQuantity: 158 },
    { type: 'adjustment', delta: -8, note: 'damaged' },
  ])
})

t.test("look-ups print aligned tables, and --json prints the node's JSON", async (t) => {
  const node = await startTestNode(t)
  await seed(node, [
    { sku: 'BOLT-M8', name: 'Bolt M8 zinc', reorderPoint: 50, onHand: 200 },
    { sku: 'NUT-M8', name: 'Nut M8', reorderPoint: 100, onHand: 40 },
  ])
  const url = ['--url', node.url]
  const [stock, low, one, items, history, json, itemsJson, typo] = await Promise.all([
    almacen(['stock', ...url]),
    almacen(['stock', '--low', ...url]),
    almacen(['stock', 'nut-m8', ...url]),
    almacen(['items', '--search', 'bolt', ...url]),
    almacen(['history', 'BOLT-M8', ...url]),
    almacen(['stock', 'BOLT-M8', '--json', ...url]),
    almacen(['items', '--all', '--json', ...url]),
    almacen(['history', 'BOLT-M9', ...url]),
  ])
  t.match(
    typo,
    { code: 1, stdout: '', stderr: /No item with SKU BOLT-M9/ },
    'the history of a mistyped SKU is an error, not an empty history'
  )
  t.equal(
    stock.stdout,
    'SKU      NAME          ON HAND  UNIT  REORDER AT  LOW\n' +
      'BOLT-M8  Bolt M8 zinc      200  ea            50\n' +
      'NUT-M8   Nut M8             40  ea           100  low\n'
  )
  t.match(low.stdout, /^SKU .*\nNUT-M8 .* low\n$/)
  t.match(one.stdout, /^SKU: +NUT-M8\nName: +Nut M8\nOn hand: +40 ea\n/)
  t.match(
    items.stdout,
    /^SKU +NAME +UNIT +REORDER AT +DESCRIPTION\nBOLT-M8 +Bolt M8 zinc +ea +50\n$/
  )
  t.match(
    history.stdout,
    /^#  WHEN +SKU +TYPE +CHANGE +BALANCE +BY +REFERENCE +NOTE\n1  .* BOLT-M8 +receipt +\+200 +200 +admin\n$/
  )
  t.match(JSON.parse(json.stdout), { sku: 'BOLT-M8', onHand: 200, low: false })
  t.match(JSON.parse(itemsJson.stdout), {
    items: [{ sku: 'BOLT-M8' }, { sku: 'NUT-M8' }],
    nextCursor: null,
  })
  for (const run of [stock, low, one, items, history, json, itemsJson])
    t.same([run.code, run.stderr], [0, ''])
})

t.test('a list longer than one page says so on stderr, leaving stdout to the rows', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [
    { sku: 'A', name: 'a' },
    { sku: 'B', name: 'b' },
    { sku: 'C', name: 'c' },
  ])
  const page = await almacen(['items', '--limit', '2', '--url', node.url])
  t.equal(page.code, 0)
  t.equal(page.stdout.trim().split('\n').length, 3)
  t.equal(page.stderr, '(more items than shown: use --all, or --limit up to 500)\n')
  const all = await almacen(['items', '--all', '--url', node.url])
  t.equal(all.stdout.trim().split('\n').length, 4)
  t.equal(all.stderr, '')
})

t.test("a refusal exits 1 with the node's sentence on stderr and nothing on stdout", async (t) => {
  const node = await startTestNode(t, { name: 'Madrid' })
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 3 }])
  t.same(await almacen(['issue', 'BOLT-M8', '5', '--url', node.url]), {
    code: 1,
    stdout: '',
    stderr:
      'almacen: Cannot issue 5 ea of BOLT-M8 in Madrid: only 3 ea on hand, short by 2 (INSUFFICIENT_STOCK)\n',
  })
  const json = await almacen(['issue', 'BOLT-M8', '5', '--json', '--url', node.url])
  t.equal(json.code, 1)
  t.equal(json.stdout, '')
  t.match(JSON.parse(json.stderr), {
    status: 409,
    code: 'INSUFFICIENT_STOCK',
    details: { onHand: 3, shortfall: 2 },
  })
  t.match(await almacen(['stock', 'NOPE', '--url', node.url]), {
    code: 1,
    stderr: 'almacen: No item with SKU NOPE (NOT_FOUND)\n',
  })
  t.equal((await ledger(node)).length, 1, 'nothing recorded')
})

t.test('a node that is down exits 3 with a message saying so', async (t) => {
  const url = await closedPort()
  // It is tried again for --timeout in all (10 s unless told), then given up on.
  const [text, json] = await Promise.all([
    almacen(['stock', 'BOLT-M8', '--timeout', '1'], { ALMACEN_URL: url }),
    almacen(['health', '--json', '--url', url, '--timeout', '1']),
  ])
  t.same(text, {
    code: 3,
    stdout: '',
    stderr: `almacen: Cannot reach the almacen node at ${url} (connection refused). Is it running? (npm start)\n`,
  })
  t.equal(json.code, 3)
  t.match(JSON.parse(json.stderr), { code: 'UNREACHABLE', reason: 'connection refused' })
})

t.test(
  'a receipt whose answer is lost is retried with the same key and recorded once',
  async (t) => {
    const node = await startTestNode(t)
    await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
    let posts = 0
    const proxy = await droppingProxy(t, node.url, (req) => req.method === 'POST' && ++posts === 1)
    const run = await almacen(['receive', 'BOLT-M8', '200', '--ref', 'PO-17', '--url', proxy.url])
    t.same(run, {
      code: 0,
      stdout: 'Received 200 ea of BOLT-M8 (PO-17). On hand now: 200 ea. Ledger entry #1.\n',
      stderr: '',
    })
    const sent = proxy.seen.filter((r) => r.method === 'POST')
    t.same(
      sent.map((r) => r.dropped),
      [true, false]
    )
    t.equal(sent[1].key, sent[0].key, 'the retry carries the same Idempotency-Key')
    t.equal((await ledger(node)).length, 1, 'one movement in the ledger')
  }
)

t.test('a receipt never confirmed names the --key that makes running it again safe', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
  const proxy = await droppingProxy(t, node.url, (req) => req.method === 'POST')
  const lost = await almacen(['receive', 'BOLT-M8', '200', '--url', proxy.url, '--timeout', '2'])
  t.equal(lost.code, 3)
  const key = /run the same command with --key (\S+)/.exec(lost.stderr)?.[1]
  t.ok(key, 'the key is on stderr')
  const posts = proxy.seen.filter((r) => r.method === 'POST')
  t.ok(posts.length > 1, 'tried again until --timeout, then gave up')
  t.ok(
    posts.every((p) => p.key === key),
    'every try with the same key'
  )
  const again = await almacen(['receive', 'BOLT-M8', '200', '--key', key!, '--url', node.url])
  t.same(
    [again.code, again.stdout],
    [0, 'Received 200 ea of BOLT-M8. On hand now: 200 ea. Ledger entry #1.\n']
  )
  t.equal((await ledger(node)).length, 1, 'applied once however often it was sent')
})

t.test('a frozen node is given up on after --timeout in all, naming the --key', async (t) => {
  const held: ServerResponse[] = []
  // The item is looked up, then the node freezes (SIGSTOP): it takes the change, never answers.
  const frozen = createServer((req, res) => {
    if (req.method !== 'GET') return void held.push(res)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ sku: 'BOLT-M8', unit: 'ea', onHand: 5 }))
  })
  frozen.listen(0, '127.0.0.1')
  await once(frozen, 'listening')
  t.teardown(() => {
    frozen.closeAllConnections()
    frozen.close()
  })
  const url = `http://127.0.0.1:${(frozen.address() as AddressInfo).port}`
  const child = almacen(['adjust', 'BOLT-M8', '-2', '--url', url, '--timeout', '2'])
  await until(() => held.length > 0, 10_000, 'the command reaches the node') // after start-up
  const asked = Date.now()
  const run = await child
  const seconds = (Date.now() - asked) / 1000
  t.equal(run.code, 3)
  t.match(run.stderr, /no answer within 2 s[\s\S]*run the same command with --key \S+/)
  t.notMatch(run.stderr, /Is it running/, 'a node that took the request is not said to be down')
  // Before: four tries of --timeout each, 8 s and more.
  t.ok(seconds < 3.5, `gave up ${seconds} s after the first try, within --timeout`)
})

t.test(
  'node, health and verify report on the node, and verify exits 0 on a sound ledger',
  async (t) => {
    const node = await startTestNode(t, { name: 'Sevilla' })
    const [who, health, verify] = await Promise.all(
      ['node', 'health', 'verify'].map((c) => almacen([c, '--url', node.url]))
    )
    t.match(who, { code: 0, stdout: /^Warehouse: +Sevilla\n/ })
    t.match(health, { code: 0, stdout: /^✔ The node at .* is up/ })
    t.match(verify, { code: 0, stdout: /^✔ The ledger checks out/ })
  }
)

t.test(
  'the local node’s admin token goes to its port, not to what listens on a mistyped one',
  async (t) => {
    const dataDir = tempDir(t)
    const node = await startTestNode(t, { name: 'Madrid', dataDir })
    // What a stranger's program on another port of this machine would be sent.
    const heard: (string | undefined)[] = []
    const stranger = createServer((req, res) => {
      heard.push(req.headers.authorization)
      res.writeHead(401, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ code: 'UNAUTHORIZED', message: 'A token is needed' }))
    })
    stranger.listen(0, '127.0.0.1')
    await once(stranger, 'listening')
    t.teardown(() => stranger.close())
    const mistyped = `http://127.0.0.1:${(stranger.address() as AddressInfo).port}`
    // The data directory's token, not one the tests hand out.
    const env = { ALMACEN_DATA_DIR: dataDir, ALMACEN_TOKEN: '' }

    t.match(await almacen(['stock', '--url', node.url], env), { code: 0 }, 'the node: taken')
    t.match(await almacen(['stock', '--url', mistyped], env), { code: 1 })
    t.same(heard, [undefined], 'asked once, with no token')
  }
)

t.test('a stopping node says no more where it listens before it lets its port go', async (t) => {
  const dataDir = tempDir(t)
  const node = await startTestNode(t, { name: 'Bilbao', dataDir })
  const source = tokenFor(node.url, undefined, { ALMACEN_DATA_DIR: dataDir })
  t.type(tokenNow(source), 'string', 'while it runs, its port gets the admin token')
  // The stop's first steps run at once; the port is let go only after the writes settle and
  // the peers catch up: whatever listens there next gets no token from then on.
  const closing = node.close()
  t.notOk(existsSync(path.join(dataDir, LISTENING_FILE)), 'forgotten as the stop begins')
  t.equal(tokenNow(source), undefined, 'no token for its port any more')
  await closing
})
