// The membership protocol with N members in one process, on a MockNetwork and a manual clock:
// production timings (network/membership/timing.ts), simulated time, no sockets.
import { pino } from 'pino'
import t from 'tap'
import {
  DEFAULT_TIMING,
  JOIN_TIMEOUT_MS,
  Membership,
  NOT_A_MEMBER,
} from '../../../network/index.ts'
import { formedCluster, MemoryStore, MockCluster } from '../../fixtures/mock-cluster.ts'

const NAMES = ['A', 'B', 'C', 'D', 'E']
const allAlive = Object.fromEntries(NAMES.map((n) => [n, 'alive']))

const formed = (t: { teardown(fn: () => void): void }) => formedCluster(t, NAMES)

t.test('a network forms through any member, and every member lists exactly the five', async (t) => {
  const cluster = new MockCluster()
  t.teardown(() => cluster.stop())
  await cluster.start('A')
  for (let i = 1; i < NAMES.length; i++) await cluster.start(NAMES[i], [NAMES[i - 1]])
  const ms = await cluster.until(() => cluster.sees(NAMES, allAlive), 5000, 'the network forms')
  t.ok(ms < 1000, `seen by all in ${ms} ms of protocol time`)
  for (const name of NAMES) {
    const { members, participating } = cluster.node(name).membership.snapshot()
    t.equal(members.length, 5, `${name} lists five members`)
    t.ok(participating)
  }
})

t.test(
  'a crashed member is failed by all within a probe round, and its restart from disk brings it back newer',
  async (t) => {
    const cluster = await formed(t)
    const before = cluster.row('A', 'C')!
    cluster.crash('C')
    const others = NAMES.filter((n) => n !== 'C')
    const ms = await cluster.until(() => cluster.sees(others, { C: 'failed' }), 10_000, 'seen')
    t.ok(ms < DEFAULT_TIMING.probeIntervalMs, `failed by all in ${ms} ms: its connections closed`)

    await cluster.start('C') // no join: only what it kept on its disk
    await cluster.until(() => cluster.sees(NAMES, allAlive), 5000, 'the restarted member is back')
    t.ok(cluster.row('A', 'C')!.incarnation > before.incarnation, 'at a higher incarnation')
    t.equal(cluster.node('C').membership.snapshot().members.length, 5)
  }
)

t.test(
  'a graceful leave is acknowledged by every member and seen as left, never as suspect or failed',
  async (t) => {
    const cluster = await formed(t)
    const others = NAMES.filter((n) => n !== 'B')
    const seen = others.map((o) => cluster.watch(o, 'B'))
    const b = cluster.node('B')
    // As a node stops: it leaves (and will rejoin when started again), then its process ends.
    await cluster.finish(b.membership.close(), 5000, 'the leave')
    cluster.crash('B')
    t.same(b.log.filter((l) => l.msg === 'left the peer network').length, 1)
    const outcome = b.log.find((l) => l.msg === 'left the peer network')!
    t.same(outcome.missed, [], 'no member missed it')
    t.same(
      (outcome.acked as string[]).sort(),
      others.map((n) => cluster.node(n).id).sort(),
      'every other member acknowledged it'
    )
    t.ok(cluster.sees(others, { B: 'left' }), 'seen as left by all as soon as the leave returns')
    await cluster.run(DEFAULT_TIMING.suspicionMs * 3) // well past probe and suspicion periods
    t.same(
      seen,
      others.map(() => ['left']),
      'B was only ever seen as left, by every member'
    )
  }
)

t.test(
  'a node stopped while its join is answered waits for the answer, and says goodbye to who answered',
  async (t) => {
    const cluster = new MockCluster()
    t.teardown(() => cluster.stop())
    await cluster.start('A')
    // A takes B in at once; its answer is slow on the way back.
    cluster.net.setFaults(
      { delayMs: 400 },
      { from: cluster.address('A'), to: cluster.address('B') }
    )
    const b = await cluster.start('B', ['A'])
    await cluster.until(() => cluster.sees(['A'], { B: 'alive' }), 1000, 'A took B in')
    t.same(b.membership.snapshot().members.length, 1, 'B has not heard the answer yet')
    await cluster.finish(b.membership.close(), 5000, 'the leave')
    const outcome = b.log.find((l) => l.msg === 'left the peer network')!
    t.same(outcome.acked, [cluster.node('A').id], 'A heard the goodbye and acknowledged it')
    t.ok(cluster.sees(['A'], { B: 'left' }), 'A sees B left, not failed')
  }
)

t.test(
  "an operator's join in flight when the node stops is waited for, and answered by a goodbye",
  async (t) => {
    const cluster = new MockCluster()
    t.teardown(() => cluster.stop())
    await cluster.start('A')
    const b = await cluster.start('B') // alone, until an operator joins it through A
    cluster.net.setFaults(
      { delayMs: 400 },
      { from: cluster.address('A'), to: cluster.address('B') }
    )
    const joining = b.membership.join([cluster.address('A')])
    await cluster.until(() => cluster.sees(['A'], { B: 'alive' }), 1000, 'A took B in')
    await cluster.finish(b.membership.close(), 5000, 'the stop')
    const outcome = b.log.find((l) => l.msg === 'left the peer network')!
    t.same(outcome.acked, [cluster.node('A').id], 'A heard the goodbye')
    t.same((await joining)[0], { address: cluster.address('A'), ok: true })
    await cluster.run(3000)
    t.ok(cluster.sees(['A'], { B: 'left' }), 'A sees B left, not failed')
    const late = await cluster.finish(b.membership.join([cluster.address('A')]), 10_000, 'j')
    t.same(
      late.value,
      [{ address: cluster.address('A'), ok: false, reason: 'this node is stopping' }],
      'a join asked once it stops is refused'
    )
  }
)

t.test(
  'an operator’s leave keeps a node out, even across a restart, until a join through a member',
  async (t) => {
    const cluster = await formed(t)
    const c = cluster.node('C')
    const { value: left } = await cluster.finish(
      c.membership.leave({ rejoin: false }),
      5000,
      'the leave'
    )
    t.same(left.missed, [])
    t.same(await cluster.node('C').membership.leave({ rejoin: false }), {
      acked: [],
      missed: [],
      alreadyLeft: true,
    })
    cluster.crash('C')
    await cluster.start('C') // from its disk: it stays out
    await cluster.run(3000)
    t.same(cluster.node('C').membership.snapshot().participating, false)
    t.ok(cluster.sees(['A', 'B', 'D', 'E'], { C: 'left' }), 'the others still see it left')

    const nowhere = 'http://10.0.0.99:8080' // nothing listens there
    const refused = await cluster.finish(cluster.node('C').membership.join([nowhere]), 10_000, 'j')
    t.same(refused.value, [{ address: nowhere, ok: false, reason: NOT_A_MEMBER }])
    t.ok(refused.ms >= JOIN_TIMEOUT_MS, `a failed join takes the full timeout (${refused.ms} ms)`)
    t.same(cluster.node('C').membership.snapshot().participating, false, 'still out')

    const joined = await cluster.finish(
      cluster.node('C').membership.join([cluster.node('E').address]),
      10_000,
      'the join'
    )
    t.same(joined.value, [{ address: cluster.node('E').address, ok: true }])
    await cluster.until(() => cluster.sees(NAMES, allAlive), 5000, 'back in after the join')
  }
)

t.test(
  'a leave the store refuses keeps the node a member, and a leave tried again does leave',
  async (t) => {
    const cluster = await formed(t)
    const c = cluster.node('C')
    const others = NAMES.filter((n) => n !== 'C')
    c.disk.refuseNext = new Error('DB_UNAVAILABLE')
    const first = c.membership.leave({ rejoin: false })
    const meanwhile = c.membership.leave({ rejoin: false })
    meanwhile.catch(() => undefined) // observed below
    await t.rejects(cluster.finish(first, 5000, 'the refused leave'), { message: 'DB_UNAVAILABLE' })
    await t.rejects(meanwhile, { message: 'DB_UNAVAILABLE' }, 'a leave asked meanwhile fails too')
    t.equal(c.membership.snapshot().participating, true, 'still taking part')
    t.equal(c.disk.rows.get(c.id)?.state, 'alive', 'nothing of the leave on its disk')
    t.equal(c.disk.rejoin, true)
    const pings = () =>
      cluster.net.traffic.filter(
        (m) => m.from === c.address && m.path === '/peer/ping' && m.leg === 'request'
      ).length
    const before = pings()
    await cluster.run(DEFAULT_TIMING.probeIntervalMs * 5)
    t.ok(pings() > before, 'it goes on probing')
    t.ok(cluster.sees(NAMES, allAlive), 'every member still sees it alive')

    const { value: left } = await cluster.finish(
      c.membership.leave({ rejoin: false }),
      5000,
      'the leave tried again'
    )
    t.notOk(left.alreadyLeft, 'it leaves now, not before')
    t.same(left.acked.sort(), others.map((n) => cluster.node(n).id).sort(), 'every member told')
    t.equal(c.disk.rows.get(c.id)?.state, 'left', 'left on its disk')
    t.equal(c.disk.rejoin, false, 'and stays out after a restart')
    t.ok(cluster.sees(others, { C: 'left' }), 'seen as left by all')
    t.equal(c.membership.snapshot().participating, false)
  }
)

t.test('a leave asked while another is under way waits for it and tells its outcome', async (t) => {
  const cluster = await formed(t)
  const c = cluster.node('C')
  const first = c.membership.leave({ rejoin: false })
  const second = c.membership.leave({ rejoin: false })
  const { value: outcome } = await cluster.finish(first, 5000, 'the leave')
  t.same(await second, { ...outcome, alreadyLeft: true }, 'the same acknowledgements')
  t.equal(outcome.acked.length, NAMES.length - 1)
})

t.test(
  'a node that left and rejoins ends newer than anything said about it meanwhile',
  async (t) => {
    const cluster = await formed(t)
    const d = cluster.node('D')
    await cluster.finish(d.membership.leave({ rejoin: false }), 5000, 'the leave')
    const leftAt = cluster.row('D', 'D')!.incarnation
    // The join's answer from A comes slowly; A's news of the join reaches D first, through B,
    // while D is still out: D says "left" again over it, then the answer brings it back in.
    cluster.net.setFaults({ delayMs: 40 }, { from: cluster.node('A').address, to: d.address })
    const joined = await cluster.finish(d.membership.join([cluster.node('A').address]), 10_000, 'j')
    t.same(joined.value[0].ok, true)
    await cluster.until(
      () =>
        NAMES.every((o) => {
          const row = cluster.row(o, 'D')
          return row?.state === 'alive' && row.incarnation > leftAt + 1
        }),
      10_000,
      'every member sees D alive, newer than the news of its join'
    )
    t.equal(d.membership.snapshot().participating, true)
    t.ok(
      d.log.some((l) => l.msg === 'member left' && l.memberName === 'D'),
      'it refuted the news of its own join while it was still out'
    )
  }
)

t.test(
  'onChange tells each committed change, with the row before it, in commit order',
  async (t) => {
    const cluster = await formed(t)
    const a = cluster.node('A')
    const changes: { state: string; before?: string; onDisk?: string; listed?: string }[] = []
    const unsubscribe = a.membership.onChange(({ member, previous }) => {
      if (member.name !== 'C') return
      changes.push({
        state: member.state,
        before: previous?.state,
        onDisk: a.disk.rows.get(member.id)?.state,
        listed: cluster.row('A', 'C')?.state,
      })
    })
    cluster.crash('C')
    await cluster.until(() => changes.length === 1, 5000, 'the crash is told')
    await cluster.start('C')
    await cluster.until(() => changes.length === 2, 5000, 'the restart is told')
    t.same(changes, [
      { state: 'failed', before: 'alive', onDisk: 'failed', listed: 'failed' },
      { state: 'alive', before: 'failed', onDisk: 'alive', listed: 'alive' },
    ])
    unsubscribe()
    cluster.crash('C')
    await cluster.until(() => cluster.sees(['A'], { C: 'failed' }), 5000, 'failed again')
    t.equal(changes.length, 2, 'nothing after the unsubscribe')
  }
)

t.test(
  'a listener that throws is logged, and stops neither the membership nor the others',
  async (t) => {
    const cluster = await formed(t)
    const a = cluster.node('A')
    a.membership.onChange(() => {
      throw new Error('replication fell over')
    })
    const heard: string[] = []
    a.membership.onChange(({ member }) => heard.push(`${member.name} ${member.state}`))
    cluster.crash('E')
    await cluster.until(() => cluster.sees(['A', 'B', 'C', 'D'], { E: 'failed' }), 5000, 'seen')
    t.same(heard, ['E failed'])
    t.ok(a.log.some((l) => l.msg === 'a membership listener failed' && l.level === 50))
    await cluster.start('E')
    await cluster.until(() => cluster.sees(NAMES, allAlive), 5000, 'it goes on')
  }
)

t.test(
  'a node still starting refuses peers’ messages rather than answering from nothing',
  async (t) => {
    const cluster = await formed(t)
    const starting = new Membership({
      store: new MemoryStore(),
      transport: cluster.net.transport('node-late', 'http://10.0.0.50:8080'),
      log: pino({ level: 'silent' }),
      identity: { id: 'node-late', name: 'Late' },
      join: [],
    })
    const news = { from: cluster.node('B').membership.list().self, updates: [] }
    await t.rejects(starting.receive('gossip', 'node-b', news), {
      name: 'ProtocolError',
      code: 'NOT_READY',
    })
    t.equal(starting.opened, false)
  }
)

t.test('a node alone when it stops says nothing of leaving a network', async (t) => {
  const cluster = new MockCluster()
  t.teardown(() => cluster.stop())
  await cluster.start('A')
  const a = cluster.node('A')
  await cluster.finish(a.membership.close(), 5000, 'the stop')
  t.same(
    a.log.filter((l) => l.msg === 'left the peer network'),
    [],
    'it never had one'
  )
})
