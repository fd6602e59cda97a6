// The scatter-gather over real HTTP: a live node, a port that accepts and never answers, a port
// where nothing listens, a node of another cluster, and members known to be failed or left.
import { createServer, type Socket } from 'node:net'
import t, { type TAP } from 'tap'
import type { Member } from '../../../db/contract/index.ts'
import { HttpTransport, Keyring, StockFanOut } from '../../../network/index.ts'
import { closedPort } from '../../fixtures/client-kit.ts'
import { CLUSTER_KEY } from '../../fixtures/node-process.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

const SLACK_MS = 50

function member(id: string, address: string, state: Member['state'] = 'alive'): Member {
  const at = '2026-12-01T12:00:00.000Z'
  return { id, name: id, address, state, incarnation: 1, stateChangedAt: at, evidenceAt: null }
}

/** A TCP server that takes connections and never says a word: a frozen or wedged peer. */
async function silentServer(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const sockets: Socket[] = []
  const server = createServer((socket) => void sockets.push(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

/**
 * Members as this node ("self") lists them: Norte live, a silent peer (suspect), a closed port, a
 * node of another cluster, one failed and one left; and the fan-out over real HTTP.
 */
async function network(t: Pick<TAP, 'teardown'>) {
  const norte = await startTestNode(t, { name: 'Norte', clusterKey: CLUSTER_KEY })
  const stranger = await startTestNode(t, { name: 'X', clusterKey: 'a-key-of-another-cluster' })
  const members = [
    member('self', 'http://127.0.0.1:1'),
    member(norte.identity.id, norte.url),
    member('silent', await silentServer(t), 'suspect'),
    member('gone', await closedPort()),
    member(stranger.identity.id, stranger.url),
    member('failed', 'http://127.0.0.1:2', 'failed'),
    member('left', 'http://127.0.0.1:3', 'left'),
  ]
  const transport = new HttpTransport({ keys: Keyring.of(CLUSTER_KEY), selfId: 'self' })
  t.teardown(() => transport.close())
  const fanOut = new StockFanOut({ transport, selfId: 'self', members: () => members })
  return { norte, stranger, fanOut }
}

t.test(
  'asks every member at once and labels each outcome, never waiting past the deadline',
  async (t) => {
    const { norte, stranger, fanOut } = await network(t)
    await api(norte, 'POST', '/items', { sku: 'BOLT-M8', name: 'Bolt', unit: 'ea' })

    for (const deadlineMs of [300, 800]) {
      const started = performance.now()
      const outcomes = await fanOut.stock({ skus: ['BOLT-M8'] }, deadlineMs)
      const tookMs = performance.now() - started
      t.ok(tookMs <= deadlineMs + SLACK_MS, `answered in ${tookMs.toFixed(0)} ms (${deadlineMs})`)
      const byId = new Map(outcomes.map((o) => [o.member.id, o]))
      t.equal(byId.has('self'), false, 'this node is not asked over the network')
      t.match(byId.get(norte.identity.id), {
        answer: { node: { name: 'Norte' }, figures: [{ sku: 'BOLT-M8', onHand: 0 }] },
      })
      t.match(byId.get('silent'), { reason: 'timed_out' })
      t.match(byId.get('gone'), { reason: 'down', detail: /refused/ })
      t.match(byId.get(stranger.identity.id), { reason: 'refused', detail: /signature/ })
      t.match(byId.get('failed'), { reason: 'down', detail: /failed since/ })
      t.match(byId.get('left'), { reason: 'left' })
    }
  }
)

t.test(
  'whether a member sent a transfer: its word (false for an id it never sent here), or null when it cannot give one in time',
  async (t) => {
    const { norte, stranger, fanOut } = await network(t)
    const id = '0f8e4c52-9a1b-4d2e-8c3f-5b6a7d8e9f01'
    t.equal(await fanOut.transferSent(norte.identity.id, id, 1000), false, 'Norte: not sent here')
    for (const who of [
      'silent',
      'gone',
      stranger.identity.id,
      'failed',
      'left',
      'self',
      'unknown',
    ]) {
      const started = performance.now()
      t.equal(await fanOut.transferSent(who, id, 300), null, `${who}: no word`)
      const tookMs = performance.now() - started
      t.ok(tookMs <= 300 + SLACK_MS, `${who}: within the deadline (${tookMs.toFixed(0)} ms)`)
    }
  }
)

t.test(
  'a cut-off answers the members still asked as timed out, the others as they are',
  async (t) => {
    const { norte, fanOut } = await network(t)
    await api(norte, 'POST', '/items', { sku: 'BOLT-M8', name: 'Bolt', unit: 'ea' })
    let cut!: () => void
    const cutoff = new Promise<void>((resolve) => (cut = resolve))
    const asked = fanOut.stock({ skus: ['BOLT-M8'] }, 8000, cutoff)
    // Norte answers within moments; the silent member never does: the cut-off ends the wait.
    setTimeout(cut, 500)
    const started = performance.now()
    const outcomes = await asked
    t.ok(performance.now() - started < 5000, 'not the 8 s of its deadline')
    const byId = new Map(outcomes.map((o) => [o.member.id, o]))
    t.match(byId.get(norte.identity.id), { answer: { node: { name: 'Norte' } } })
    t.match(byId.get('silent'), { reason: 'timed_out', detail: /time left to ask/ })
  }
)
