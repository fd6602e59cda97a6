import t from 'tap'
import type { Member, Replica } from '../../db/contract/index.ts'
import handler from '../../handlers/metrics.get.ts'
import type { LaneStatus } from '../../runtime/index.ts'
import { fakeCtx, refusal, request } from '../fixtures/handler-kit.ts'
import { followedPeer } from '../fixtures/stored-replica.ts'
import { parseExposition, samplesOf, valueOf } from '../fixtures/metrics-text.ts'

const member = (id: string, name: string, state: Member['state']): Member => ({
  id,
  name,
  address: `http://${name.toLowerCase()}.test:8080`,
  state,
  incarnation: 1,
  stateChangedAt: '2026-12-30T10:00:00.000Z',
  evidenceAt: null,
})
const members = [
  member('self', 'Madrid', 'alive'),
  member('n1', 'Sevilla', 'alive'),
  member('n2', 'Bilbao', 'suspect'),
  member('n3', 'Vigo', 'left'),
]
const lane = (peer: string, name: string, failures: number): LaneStatus => ({
  peer,
  name,
  delivered: 0,
  refused: failures * 2, // apart from failures, so a swap shows
  failures,
  lastError: failures ? 'refused' : null,
  nextAttemptAt: null,
})
const replica = (nodeId: string, name: string, seq: number, head: number): Replica => ({
  nodeId,
  name,
  state: 'catching_up',
  reason: null,
  lastError: null,
  cursor: { events: seq, ledger: { seq, hash: 'a'.repeat(64) } },
  head: { events: head, ledger: { seq: head } },
  caughtUpAt: null,
  createdAt: '2026-12-30T09:00:00.000Z',
  updatedAt: '2026-12-30T10:00:00.000Z',
})

async function scrape(ctx: ReturnType<typeof fakeCtx>) {
  const response = (await handler(request('GET', '/metrics'), ctx)) as Response
  return { status: response.status, headers: response.headers, body: await response.text() }
}

function ctxWith(replies: Parameters<typeof fakeCtx>[0]) {
  const ctx = fakeCtx(
    replies,
    { snapshot: () => ({ members, participating: true }) },
    {},
    // Followed now: their states are what their last pages stored.
    {
      peers: () => [
        followedPeer('n1', { name: 'Sevilla', knownHead: null }),
        followedPeer('n2', { name: 'Bilbao', knownHead: null }),
      ],
    }
  )
  ctx.relay = {
    wake: () => undefined,
    peers: () => [lane('n1', 'Sevilla', 0), lane('n2', 'Bilbao', 3)],
  }
  return ctx
}

t.test(
  'the network as it stands at the scrape: members by state, rows behind, outbox per peer',
  async (t) => {
    const ctx = ctxWith({
      'node.metrics': () => ({
        text: '# HELP almacen_db_batch_failures_total x\n# TYPE almacen_db_batch_failures_total counter\nalmacen_db_batch_failures_total 2\n',
        outbox: [{ peer: 'n2', pending: 7 }],
      }),
      'replicas.list': () => ({
        replicas: [replica('n1', 'Sevilla', 90, 90), replica('n2', 'Bilbao', 40, 65)],
      }),
    })
    const { status, headers, body } = await scrape(ctx)
    t.equal(status, 200)
    t.match(headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
    const page = parseExposition(body)
    t.same(page.repeated, [])
    t.same(
      samplesOf(page, 'almacen_members').map((s) => [s.labels.state, s.value]),
      [
        ['alive', 2],
        ['suspect', 1],
        ['failed', 0],
        ['left', 1],
      ]
    )
    t.equal(valueOf(page, 'almacen_replica_rows_behind', { peer: 'n1', name: 'Sevilla' }), 0)
    t.equal(valueOf(page, 'almacen_replica_rows_behind', { peer: 'n2', name: 'Bilbao' }), 25)
    t.equal(valueOf(page, 'almacen_replicas', { state: 'catching_up' }), 2)
    t.equal(valueOf(page, 'almacen_outbox_pending_messages', { peer: 'n2', name: 'Bilbao' }), 7)
    t.equal(
      valueOf(page, 'almacen_outbox_pending_messages', { peer: 'n1', name: 'Sevilla' }),
      0,
      'a lane with nothing to carry reads 0, not nothing'
    )
    t.equal(valueOf(page, 'almacen_relay_lane_failures', { peer: 'n2' }), 3)
    t.equal(valueOf(page, 'almacen_relay_refused_messages', { peer: 'n2' }), 6)
    t.equal(valueOf(page, 'almacen_db_batch_failures_total'), 2, "the worker's own figures")
    t.equal(valueOf(page, 'almacen_db_up'), 1)
  }
)

t.test(
  'a worker that does not answer leaves its figures out: still 200, almacen_db_up 0',
  async (t) => {
    const down = () => {
      throw refusal('DB_UNAVAILABLE', 'The database worker is restarting')
    }
    const ctx = ctxWith({ 'node.metrics': down, 'replicas.list': down })
    const { status, body } = await scrape(ctx)
    t.equal(status, 200)
    const page = parseExposition(body)
    t.equal(valueOf(page, 'almacen_db_up'), 0)
    t.equal(valueOf(page, 'almacen_members', { state: 'alive' }), 2, 'what the runtime knows')
    t.equal(valueOf(page, 'almacen_relay_lane_failures', { peer: 'n2' }), 3)
    t.equal(page.types.get('almacen_replica_rows_behind'), undefined, 'no replica figure')
    t.equal(page.types.get('almacen_outbox_pending_messages'), undefined, 'no outbox figure')
  }
)
