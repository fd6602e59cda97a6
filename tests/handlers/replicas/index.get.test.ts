import t from 'tap'
import handler from '../../../handlers/replicas/index.get.ts'
import type { Replica } from '../../../db/contract/index.ts'
import type { PeerReplication } from '../../../network/index.ts'
import { fakeCtx, request } from '../../fixtures/handler-kit.ts'
import { followedPeer, storedReplica } from '../../fixtures/stored-replica.ts'

const hash = (c: string) => c.repeat(64)
const replica = (nodeId: string, fields: Partial<Replica> = {}): Replica =>
  storedReplica({
    nodeId,
    name: nodeId.toUpperCase(),
    cursor: { events: 12, ledger: { seq: 10, hash: hash('a') } },
    head: { events: 12, ledger: { seq: 10 } },
    caughtUpAt: '2026-12-30T10:00:00.000Z',
    ...fields,
  })
const peer = (nodeId: string, fields: Partial<PeerReplication> = {}): PeerReplication =>
  followedPeer(nodeId, {
    name: nodeId.toUpperCase(),
    knownHead: { events: 12, ledger: { seq: 10, hash: hash('a') } },
    ...fields,
  })

async function list(replicas: Replica[], peers: PeerReplication[]) {
  const ctx = fakeCtx({ 'replicas.list': () => ({ replicas }) }, {}, {}, { peers: () => peers })
  const body = (await handler(request('GET', '/replicas'), ctx)) as { replicas: any[] }
  return Object.fromEntries(body.replicas.map((r) => [r.nodeId, r]))
}

t.test(
  'each peer: its state, cursor, known head, rows behind, as of, contact, error',
  async (t) => {
    const ahead = { events: 20, ledger: { seq: 16, hash: hash('f') } }
    const found = await list(
      [
        replica('live'),
        replica('behind'),
        replica('down'),
        replica('cut'),
        replica('broken', { state: 'broken', reason: 'forked', lastError: 'the owner forked' }),
        replica('left', { state: 'catching_up', head: { events: 40, ledger: { seq: 30 } } }),
        replica('frozen'),
      ],
      [
        peer('live'),
        peer('behind', { knownHead: ahead }),
        peer('down', { following: false, lastError: 'refused: connection refused', failing: true }),
        peer('cut', { failing: true, lastError: 'timeout: no answer in time' }),
        peer('broken', { stopped: true, following: false, lastError: 'the owner forked' }),
        // Its long-poll still waits, no exchange has failed yet: membership's probes have.
        peer('frozen', { memberState: 'suspect' }),
        peer('new', { knownHead: null, lastContactAt: null, lastError: 'refused', failing: true }),
      ]
    )
    t.match(found.live, {
      name: 'LIVE',
      state: 'live',
      reason: null,
      cursor: { events: 12, ledger: { seq: 10, hash: hash('a') } },
      knownHead: { events: 12, ledger: { seq: 10, hash: hash('a') } },
      rowsBehind: 0,
      asOf: '2026-12-30T10:00:00.000Z',
      lastContactAt: '2026-12-30T10:00:01.000Z',
      lastError: null,
    })
    t.match(found.behind, { state: 'catching_up', knownHead: ahead, rowsBehind: 6 })
    t.match(found.down, { state: 'stale', lastError: /refused/, asOf: '2026-12-30T10:00:00.000Z' })
    t.match(found.cut, { state: 'stale', lastError: /timeout/ })
    t.match(found.frozen, {
      state: 'stale',
      lastError: 'membership suspects it: its last probes went unanswered',
      asOf: '2026-12-30T10:00:00.000Z',
    })
    t.match(found.broken, { state: 'broken', reason: 'forked', lastError: 'the owner forked' })
    // Not followed since this node started: stale, whatever its last page left stored.
    t.match(found.left, {
      state: 'stale',
      lastError: /not followed since this node started/,
      knownHead: { events: 40, ledger: { seq: 30, hash: null } },
      rowsBehind: 20,
      lastContactAt: null,
    })
    t.match(found.new, {
      state: 'never_synced',
      cursor: { events: 0, ledger: { seq: 0 } },
      asOf: null,
      lastError: 'refused',
    })
  }
)
