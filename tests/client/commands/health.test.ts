import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { nodeHealth } from '../../../client/commands/health.ts'
import { almacen, session } from '../../fixtures/client-kit.ts'
import { startTestNode } from '../../fixtures/test-node.ts'

/** A node that answers /health with `health`, whatever is asked: its URL. */
async function answering(t: Test, health: unknown): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(health))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('Health says the node and its database answer', async (t) => {
  const node = await startTestNode(t)
  const s = session(node.url, [])
  await nodeHealth(s.io)
  t.match(s.output(), /^✔ The node at .* is up and its database answers \(in [\d.]+ ms\)\.$/)
})

t.test('a node whose ledger is halted is not healthy: it says why, and exits 1', async (t) => {
  // A node's own answer when it started on a ledger that did not check out (handlers/health.get.ts).
  const halt = {
    since: '2026-12-02T10:00:00.000Z',
    problems: ['movement 6 was removed from the end'],
    action: 'An admin can rebuild the balances (POST /ledger/rebuild) or accept the ledger.',
  }
  const degraded = {
    status: 'degraded',
    worker: { ok: true, ms: 1.5 },
    ledger: { writes: 'refused', halt, verify: null },
  }
  const url = await answering(t, degraded)
  const run = await almacen(['health', '--url', url])
  t.equal(run.code, 1, 'not 0: a monitor must notice')
  t.match(
    run.stdout,
    /^✖ The node at .* is up .*, but it refuses every write: its ledger is halted since 2026-12-02T10:00:00.000Z\.\n  movement 6 was removed from the end\n  An admin can rebuild/
  )
  t.equal(run.stderr, '', 'said once, on stdout: no error code the node never sent')
  const json = await almacen(['health', '--url', url, '--json'])
  t.equal(json.code, 1)
  t.same(JSON.parse(json.stdout), degraded)
})

t.test('a node whose disk is full says so, and exits 1', async (t) => {
  const diskFull = { since: '2026-12-02T10:00:00.000Z', message: 'The disk … is full: free space' }
  const degraded = {
    status: 'degraded',
    worker: { ok: true, ms: 1.5 },
    ledger: { writes: 'accepted', halt: null, verify: null, diskFull },
  }
  const url = await answering(t, degraded)
  const run = await almacen(['health', '--url', url])
  t.equal(run.code, 1)
  t.match(
    run.stdout,
    /^✖ The node at .* is up .*, but its writes fail since 2026-12-02T10:00:00.000Z: the disk is full\.\n  The disk … is full: free space\n$/
  )
})
