// Which peer a restore pulls from, and what it refuses, with the peers and the worker faked: the
// longest history the others agree with; a broken replica (but when all are) or a minority's other
// history named and not used; a tie, an unknown name or an ambiguous one refused in words.
import t from 'tap'
import { pino } from 'pino'
import { restoreFromPeers, RestoreError } from '../../../network/replication/restore.ts'
import type { HeldReplica, LogPosition } from '../../../network/replication/messages.ts'
import { positionAfter } from '../../../network/replication/puller.ts'
import type {
  ExchangeKind,
  PeerCall,
  PeerOutcome,
  Transport,
} from '../../../network/transport/transport.ts'

const log = pino({ level: 'silent' })
const h = (c: string) => c.repeat(64)

interface FakePeer {
  name: string
  replicas: HeldReplica[]
  /** seq → hash of its replica's rows of node W. */
  rows: Record<number, string>
  /** How far its feed serves the replica it announces (all of it unless said). */
  serves?: LogPosition
}

const held = (seq: number, hash: string, state = 'live', name = 'Norte'): HeldReplica => ({
  nodeId: 'W',
  name,
  state,
  reason: state === 'broken' ? 'forked' : null,
  position: { events: seq + 2, ledger: { seq, hash } },
  caughtUpAt: '2026-11-30T10:00:00.000Z',
})

/** `aliases`: another address each peer answers at too (its answers signed by the same id). */
function network(peers: Record<string, FakePeer>, aliases: Record<string, string> = {}) {
  const feeds: string[] = []
  const transport: Transport = {
    canTalk: true,
    watch: () => () => undefined,
    async call(call: PeerCall<ExchangeKind>): Promise<PeerOutcome<never>> {
      const id = aliases[call.address] ?? call.address
      const peer = peers[id]
      if (!peer) return { ok: false, reason: 'refused', message: 'nothing listens', at: 0 }
      const body = call.body as Record<string, unknown>
      const ok = (answer: unknown) =>
        ({ ok: true, body: answer, rttMs: 1, responder: id }) as PeerOutcome<never>
      switch (call.kind.path) {
        case '/peer/replica-head':
          return ok({
            name: peer.name,
            replicas: peer.replicas.filter((r) => r.nodeId === body.node || r.name === body.name),
          })
        case '/peer/replica-hashes': {
          const seqs = body.seqs as number[]
          return ok({ hashes: seqs.map((seq) => ({ seq, hash: peer.rows[seq] })) })
        }
        case '/peer/replica-feed': {
          feeds.push(peer.name)
          // One page to where it serves to: the last row's event is all the pull reads of it.
          const held = (peer.replicas.find((r) => r.nodeId === body.node) ?? peer.replicas[0])
            .position
          const to = peer.serves ?? held
          const after = body.after as LogPosition
          const events =
            after.events < to.events
              ? [{ seq: to.events, type: 'movement.recorded', data: to.ledger }]
              : []
          return ok({ events, head: held, upToDate: true })
        }
      }
      throw new Error(`unexpected ${call.kind.path}`)
    },
  }
  const db = {
    async call(op: string, payload: unknown) {
      if (op === 'ledger.restoreBegin')
        return { data: { events: 0, ledger: { seq: 0, hash: h('0') } } }
      if (op === 'ledger.restorePage') {
        const page = payload as { after: LogPosition; events: never[] }
        return { data: positionAfter(page.after, { events: page.events } as never) }
      }
      if (op === 'ledger.restoreFinish') return { data: payload }
      throw new Error(op)
    },
  }
  const restore = (nodeId?: string, addresses = Object.keys(peers), advertise?: string) =>
    restoreFromPeers({
      transport,
      db: db as never,
      log,
      addresses,
      nodeId,
      name: 'Norte',
      selfId: 'T',
      advertise,
    })
  return { restore, feeds }
}

t.test('the longest replica the others agree with is used; a minority fork is named', async (t) => {
  const { restore, feeds } = network({
    b: { name: 'B', replicas: [held(10, h('a'))], rows: { 6: h('6'), 8: h('8'), 10: h('a') } },
    c: { name: 'C', replicas: [held(8, h('8'))], rows: { 8: h('8') } },
    d: { name: 'D', replicas: [held(6, h('x'))], rows: { 6: h('x') } },
  })
  const report = (await restore()) as unknown as { report: Record<string, never> }
  t.same(feeds, ['B'], 'pulled from B')
  t.notOk('confirm' in report.report, 'from a whole replica: nothing to confirm')
  const sources = report.report.sources as unknown as {
    peer: { name: string }
    used: boolean
    problem: string | null
  }[]
  t.match(sources, [
    { peer: { name: 'B' }, used: true, problem: null },
    { peer: { name: 'C' }, used: false, problem: null },
    {
      peer: { name: 'D' },
      used: false,
      problem: /another history.*row 6 is xxxxxxxxxxxx…, B, C hold 666666666666…/,
    },
  ])
})

t.test('when the longest is the minority, the majority history is restored', async (t) => {
  const { restore, feeds } = network({
    b: { name: 'B', replicas: [held(10, h('f'))], rows: { 8: h('z'), 6: h('y') } },
    c: { name: 'C', replicas: [held(8, h('8'))], rows: { 6: h('6'), 8: h('8') } },
    d: { name: 'D', replicas: [held(6, h('6'))], rows: { 6: h('6') } },
  })
  await restore()
  t.same(feeds, ['C'])
})

t.test('a broken replica is not used while another holds anything, however long', async (t) => {
  const { restore, feeds } = network({
    b: { name: 'B', replicas: [held(60, h('b'), 'broken')], rows: {} },
    c: { name: 'C', replicas: [held(55, h('c'))], rows: {} },
  })
  const report = (await restore('W')) as unknown as { report: { sources: unknown[] } }
  t.same(feeds, ['C'])
  t.match(report.report.sources, [{ used: false, problem: /broken \(forked\)/ }, { used: true }])
})

t.test(
  'when every replica broke (the node rewrote its own ledger), the longest broken one they agree with is used',
  async (t) => {
    // Each page that broke them was refused whole: what they hold is the ledger as it was.
    const { restore, feeds } = network({
      b: { name: 'B', replicas: [held(60, h('b'), 'broken')], rows: { 58: h('8') } },
      c: { name: 'C', replicas: [held(58, h('8'), 'broken')], rows: {} },
      d: { name: 'D', replicas: [], rows: {} },
    })
    const report = (await restore('W')) as unknown as {
      report: { sources: unknown[]; confirm?: string }
    }
    t.same(feeds, ['B'])
    t.match(report.report.sources, [
      { peer: { name: 'B' }, used: true, problem: null },
      { peer: { name: 'C' }, used: false, problem: /broken \(forked\)/ },
      { peer: { name: 'D' }, used: false, problem: 'holds no replica of it' },
    ])
    // Which history is true (a disk rewritten, or a rollback accepted) is a person's to say.
    t.match(report.report.confirm, /^restored from B's replica, which broke forked.*accept/)
  }
)

t.test(
  'broken replicas are not restored from while a peer given did not answer (it may hold a whole one), nor when they broke other than forked',
  async (t) => {
    const peers = {
      b: { name: 'B', replicas: [held(60, h('b'), 'broken')], rows: {} },
      c: { name: 'C', replicas: [held(58, h('8'), 'broken')], rows: {} },
    }
    const { restore, feeds } = network(peers)
    await t.rejects(restore('W', ['b', 'c', 'http://10.0.0.9:8080']), {
      name: 'RestoreError',
      message:
        /Only broken replicas of node W answered \(B, C\).*every peer given answers, and http:\/\/10\.0\.0\.9:8080 did not/,
    })
    const ownDisk = network({
      b: {
        name: 'B',
        replicas: [{ ...held(60, h('b'), 'broken'), reason: 'chain_broken' }],
        rows: {},
      },
    })
    await t.rejects(ownDisk.restore('W'), { name: 'RestoreError' })
    t.same([...feeds, ...ownDisk.feeds], [], 'nothing pulled')
  }
)

t.test('two histories held by as many peers each are refused, naming both sides', async (t) => {
  const { restore, feeds } = network({
    b: { name: 'B', replicas: [held(10, h('b'))], rows: { 10: h('b') } },
    c: { name: 'C', replicas: [held(10, h('c'))], rows: { 10: h('c') } },
  })
  await t.rejects(restore(), { name: 'RestoreError', message: /two histories.*B against C/ })
  t.same(feeds, [], 'nothing pulled')
})

t.test('a peer reached at two addresses counts once', async (t) => {
  const { restore, feeds } = network(
    {
      b: { name: 'B', replicas: [held(10, h('b'))], rows: { 10: h('b') } },
      c: { name: 'C', replicas: [held(10, h('c'))], rows: { 10: h('c') } },
    },
    { 'b-advertised': 'b' }
  )
  await t.rejects(restore(undefined, ['b', 'b-advertised', 'c']), {
    name: 'RestoreError',
    message: /two histories.*B against C/,
  })
  t.same(feeds, [], 'nothing pulled: B is one vote, not two')
})

t.test('a running node restored by name is not taken for itself', async (t) => {
  const { restore, feeds } = network({
    b: { name: 'B', replicas: [{ ...held(0, h('0')), nodeId: 'T' }, held(3, h('b'))], rows: {} },
  })
  const { nodeId } = (await restore()) as unknown as { nodeId: string }
  t.equal(nodeId, 'W')
  t.same(feeds, ['B'])
})

t.test(
  'a node that holds its own ledger, started with --restore, is told so, not that no peer knows it',
  async (t) => {
    const { restore, feeds } = network({
      b: { name: 'B', replicas: [{ ...held(806, h('b')), nodeId: 'T' }], rows: {} },
    })
    await t.rejects(restore(), {
      name: 'RestoreError',
      message: /replicas of this very node \(T\).*holds its ledger already/,
    })
    t.same(feeds, [], 'nothing pulled')
  }
)

t.test('a name no peer knows, or two nodes of one name, are refused', async (t) => {
  const none = network({ b: { name: 'B', replicas: [], rows: {} } })
  await t.rejects(none.restore(), /No peer \(B\) holds a replica of a warehouse named "Norte"/)
  const two = network({
    b: { name: 'B', replicas: [held(3, h('b'))], rows: {} },
    c: { name: 'C', replicas: [{ ...held(3, h('c')), nodeId: 'V' }], rows: {} },
  })
  await t.rejects(two.restore(), /2 warehouses named "Norte" \(W, V\).*--restore-id/)
  const down = network({})
  await t.rejects(down.restore(), RestoreError, 'no address given: nothing to ask')
  const silent = await down.restore(undefined, ['http://10.0.0.9:8080']).then(
    () => undefined,
    (err: Error) => err.message
  )
  t.match(
    silent,
    /^No peer answered: http:\/\/10\.0\.0\.9:8080 did not answer \(.+\)\. Start one of them .*--restore$/,
    'who was asked, and what to do'
  )
})

t.test(
  'a node that runs is not restored: seen alive or suspect by a peer, or answering itself',
  async (t) => {
    for (const member of ['alive', 'suspect'] as const) {
      const { restore, feeds } = network({
        b: { name: 'B', replicas: [{ ...held(9, h('b')), member }], rows: {} },
        c: { name: 'C', replicas: [{ ...held(9, h('b')), member: 'failed' }], rows: {} },
      })
      await t.rejects(restore('W'), {
        name: 'RestoreError',
        message: new RegExp(`Node W is running \\(B sees it ${member}\\).*Stop it first`),
      })
      t.same(feeds, [], `${member}: nothing pulled`)
    }
    const itself = network({
      W: { name: 'Norte', replicas: [], rows: {} },
      b: { name: 'B', replicas: [held(9, h('b'))], rows: {} },
    })
    await t.rejects(itself.restore('W'), /Node W is running \(it answered at W\)/)
    t.same(itself.feeds, [])
    const gone = network({
      b: { name: 'B', replicas: [{ ...held(9, h('b')), member: 'failed' }], rows: { 9: h('b') } },
      c: { name: 'C', replicas: [{ ...held(9, h('b')), member: null }], rows: { 9: h('b') } },
    })
    await gone.restore('W')
    t.same(gone.feeds, ['B'], 'failed to one peer, unknown to another: restored')
    // A node started on its own backup catches up its own id: seen alive where it runs, that is
    // itself; seen alive at another address, a copy of it runs there.
    const ownAt = (memberAddress: string | null) =>
      network({
        b: {
          name: 'B',
          replicas: [{ ...held(9, h('b')), nodeId: 'T', member: 'alive', memberAddress }],
          rows: {},
        },
      })
    const here = ownAt('http://10.0.0.5:8080')
    await here.restore('T', ['b'], 'http://10.0.0.5:8080')
    t.same(here.feeds, ['B'], 'its own backup caught up')
    const unsaid = ownAt(null)
    await unsaid.restore('T', ['b'], 'http://10.0.0.5:8080')
    t.same(unsaid.feeds, ['B'], 'a holder that does not say where: caught up')
    const copy = ownAt('http://10.0.0.6:8080')
    await t.rejects(copy.restore('T', ['b'], 'http://10.0.0.5:8080'), {
      message: /Node T is running \(B sees it alive at http:\/\/10\.0\.0\.6:8080\)/,
    })
    t.same(copy.feeds, [], 'a copy running elsewhere: nothing pulled')
  }
)

t.test(
  'a holder that serves less than it said it holds is not restored from to the end',
  async (t) => {
    const { restore, feeds } = network({
      b: {
        name: 'B',
        replicas: [held(9, h('b'))],
        rows: { 9: h('b') },
        serves: { events: 7, ledger: { seq: 5, hash: h('5') } },
      },
    })
    await t.rejects(restore('W'), {
      name: 'RestoreError',
      message:
        /B said it holds node W's log up to event 11 \(ledger row 9\) but served it only up to event 7 \(row 5\); start the node with --restore again/,
    })
    t.same(feeds, ['B'])
  }
)
