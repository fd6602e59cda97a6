// The relay over real HTTP: node A's relay (HttpTransport, signed) delivering to node B's peer
// route POST /peer/transfer-messages (the runtime's router, peer checks and answer signing, the
// real handler), B's database being an inbox in memory. The whole path with SQLite on both sides
// is tested with the db side of transfers (tests/integration/transfers*).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createServerAdapter } from '@whatwg-node/server'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import handler from '../../handlers/peer/transfer-messages.post.ts'
import { HttpTransport, Keyring, Relay } from '../../network/index.ts'
import type { DbClient } from '../../runtime/db-client.ts'
import { createApp } from '../../runtime/router.ts'
import { route } from '../fixtures/app-kit.ts'
import { MemoryTransfers } from '../fixtures/memory-transfers.ts'
import { CLUSTER_KEY, until } from '../fixtures/node-process.ts'

const log = pino({ level: 'silent' })

/** Node B's HTTP side: the peer route over an inbox in memory; every request it took, captured. */
async function receiver(
  t: { teardown(fn: () => unknown): void },
  added: Record<string, string> = {}
) {
  const inbox = new MemoryTransfers()
  const transport = new HttpTransport({ keys: Keyring.of(CLUSTER_KEY), selfId: 'node-b' })
  const wakes: (string | undefined)[] = []
  const keys: (string | undefined)[] = []
  const db = {
    async call(op: string, payload: any, options: { key?: string } = {}) {
      if (op !== 'transfers.inboxV2') throw new Error(`unexpected ${op}`)
      keys.push(options.key)
      return { data: await inbox.inbox(payload.from, payload.fromName, payload.messages) }
    },
  }
  const app = createApp([route('post', '/peer/transfer-messages', handler)], {
    db: db as unknown as DbClient,
    log,
    node: { id: 'node-b', name: 'B', version: '0', startedAt: new Date().toISOString() },
    membership: {} as never,
    events: {} as never,
    peerAuth: transport.auth,
    relay: { wake: (peer) => void wakes.push(peer), peers: () => [] },
  })
  const captured: { headers: Record<string, string>; body: string }[] = []
  const adapter = createServerAdapter(async (request: Request) => {
    const headers = Object.fromEntries(request.headers)
    captured.push({ headers, body: await request.clone().text() })
    // Headers put in on the way (`added`), as someone between the nodes could: unsigned.
    if (Object.keys(added).length === 0) return app(request)
    const body = await request.text()
    return app(
      new Request(request.url, { method: 'POST', headers: { ...headers, ...added }, body })
    )
  })
  const server: Server = createServer(adapter)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { inbox, wakes, keys, captured, address }
}

/** Node A's relay (signed HTTP) delivering what `outbox` holds to B at `address`, until all is. */
async function deliver(
  t: { teardown(fn: () => unknown): void },
  outbox: MemoryTransfers,
  address: string
) {
  const transport = new HttpTransport({ keys: Keyring.of(CLUSTER_KEY), selfId: 'node-a' })
  const member = { id: 'node-b', name: 'B', address, state: 'alive' } as never
  const relay = new Relay({
    identity: { id: 'node-a', name: 'A' },
    membership: { snapshot: () => ({ members: [member] }), onChange: () => () => undefined },
    transport,
    store: outbox,
    log,
  })
  t.teardown(async () => {
    await relay.close()
    await transport.close()
  })
  await relay.open()
  await until(() => outbox.rows().every((r) => r.deliveredAt), 10_000, 'the batch is delivered')
}

t.test(
  'a batch goes signed, is applied by its signer, and a captured copy is refused',
  async (t) => {
    const b = await receiver(t)
    const outbox = new MemoryTransfers()
    const sent = [outbox.enqueue('node-b').id, outbox.enqueue('node-b').id]
    await deliver(t, outbox, b.address)
    t.same(
      b.inbox.applied.map((a) => [a.from, a.message.id]),
      sent.map((id) => ['node-a', id]),
      'applied once each, as sent by the node that signed them'
    )
    t.ok(outbox.rows().every((r) => r.status === 'applied'))
    t.same(
      b.wakes,
      ['node-a'],
      "B's relay is told: applying them may have put answers in its outbox"
    )

    const [first] = b.captured
    const replayed = await fetch(`${b.address}/peer/transfer-messages`, {
      method: 'POST',
      headers: first.headers,
      body: first.body,
    })
    t.match(
      [replayed.status, await replayed.json()],
      [409, { code: 'REPLAYED' }],
      'a captured signed request sent again is refused before the inbox sees it'
    )
    const unsigned = await fetch(`${b.address}/peer/transfer-messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: first.body,
    })
    t.equal(unsigned.status, 401)
    t.equal(b.inbox.arrivals.length, 1, 'the inbox saw the batch once')
  }
)

t.test('an Idempotency-Key put on a signed batch on the way is not used', async (t) => {
  // Well formed, it would decide how the batch is applied; malformed, it would be refused 400.
  for (const key of ['K1', 'a b']) await keyAdded(t, key)
})

async function keyAdded(t: Test, key: string) {
  const b = await receiver(t, { 'idempotency-key': key })
  const outbox = new MemoryTransfers()
  outbox.enqueue('node-b')
  await deliver(t, outbox, b.address)
  t.equal(b.captured[0].headers['idempotency-key'], undefined, 'sent without one')
  t.same(b.keys, [undefined], `${key}: the inbox's write carries no key, the messages' ids rule`)
  t.ok(outbox.rows().every((r) => r.status === 'applied'))
}
