// Serf's force-leave on the simulated network: an operator removes a dead member for good, every
// member sees it left, and the member, should it come back, rejoins by its own newer word.
import t from 'tap'
import { DEFAULT_TIMING } from '../../../network/index.ts'
import { formedCluster } from '../../fixtures/mock-cluster.ts'

const NAMES = ['A', 'B', 'C', 'D', 'E']
const allAlive = Object.fromEntries(NAMES.map((n) => [n, 'alive']))
const others = NAMES.filter((n) => n !== 'C')

t.test(
  'a failed member forced out is left on every member, stays left, and rejoins when it restarts',
  async (t) => {
    const cluster = await formedCluster(t, NAMES)
    const c = cluster.node('C')
    cluster.crash('C')
    await cluster.until(() => cluster.sees(others, { C: 'failed' }), 10_000, 'C is failed')
    const failedAt = cluster.row('A', 'C')!.incarnation
    const seen = others.map((o) => cluster.watch(o, 'C'))

    const { value: outcome } = await cluster.finish(
      cluster.node('A').membership.forceLeave(c.id),
      5000,
      'the force-leave'
    )
    t.match(outcome, { ok: true, member: { id: c.id, state: 'left', incarnation: failedAt } })
    if (!outcome.ok) return
    t.same(
      outcome.acked.sort(),
      ['B', 'D', 'E'].map((n) => cluster.node(n).id).sort(),
      'every live member acknowledged it'
    )
    t.same(outcome.missed, [])
    t.ok(cluster.sees(others, { C: 'left' }), 'every member sees C left once it returns')

    await cluster.run(DEFAULT_TIMING.suspicionMs * 3 + DEFAULT_TIMING.syncIntervalMs * 2)
    t.same(
      seen,
      others.map(() => ['left']),
      'and nothing but left afterwards'
    )

    await cluster.start('C') // from its disk, as a restarted process
    await cluster.until(() => cluster.sees(NAMES, allAlive), 5000, 'C rejoins')
    t.ok(cluster.row('B', 'C')!.incarnation > failedAt, 'at a newer incarnation than the left')
  }
)

t.test('only a failed member can be forced out; nothing changes otherwise', async (t) => {
  const cluster = await formedCluster(t, NAMES)
  const a = cluster.node('A').membership
  const before = cluster.row('A', 'D')
  t.match(await a.forceLeave(cluster.node('D').id), {
    ok: false,
    reason: 'alive',
    text: /D is alive, not failed/,
  })
  t.match(await a.forceLeave(cluster.node('A').id), { ok: false, reason: 'self' })
  t.match(await a.forceLeave('no-such-node'), { ok: false, reason: 'unknown' })
  t.same(cluster.row('A', 'D'), before, 'the alive member is untouched')

  cluster.crash('C')
  await cluster.until(() => cluster.sees(others, { C: 'failed' }), 10_000, 'C is failed')
  await cluster.finish(a.forceLeave(cluster.node('C').id), 5000, 'the force-leave')
  t.match(await a.forceLeave(cluster.node('C').id), {
    ok: false,
    reason: 'left',
    text: /C has already left/,
  })
})

t.test(
  'a member forced out that was only frozen refutes the left when it wakes, and stays',
  async (t) => {
    const cluster = await formedCluster(t, NAMES)
    cluster.freeze('C') // SIGSTOP: silent past the suspicion period, so failed by all
    await cluster.until(() => cluster.sees(others, { C: 'failed' }), 20_000, 'C is failed')
    const failedAt = cluster.row('A', 'C')!.incarnation
    const { value: outcome } = await cluster.finish(
      cluster.node('A').membership.forceLeave(cluster.node('C').id),
      5000,
      'the force-leave'
    )
    t.match(outcome, { ok: true })
    t.ok(cluster.sees(others, { C: 'left' }))
    cluster.thaw('C')
    // Nobody probes a member that left: C hears of it in its next sync, and refutes it.
    await cluster.until(
      () => cluster.sees(NAMES, allAlive),
      DEFAULT_TIMING.syncIntervalMs * 3,
      'C refutes the left'
    )
    t.ok(cluster.row('A', 'C')!.incarnation > failedAt, 'by its own newer word')
    t.match(cluster.node('C').membership.snapshot(), { participating: true })
  }
)
