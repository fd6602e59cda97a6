// Failure detection with N members in one process: refusal against silence, suspicion and
// refutation, a frozen member, partitions one way and both ways, a lossy network. Production
// timings on a manual clock: every bound below is protocol time, and costs no real time.
import t from 'tap'
import { pino } from 'pino'
import { DEFAULT_TIMING } from '../../../network/index.ts'
import { Detector } from '../../../network/membership/detector.ts'
import { PEER_MESSAGES } from '../../../network/membership/messages.ts'
import { ProtocolError } from '../../../network/transport/transport.ts'
import { formedCluster, type MockCluster } from '../../fixtures/mock-cluster.ts'

const NAMES = ['A', 'B', 'C', 'D', 'E']
const allAlive = Object.fromEntries(NAMES.map((n) => [n, 'alive']))
const { probeIntervalMs, suspicionMs } = DEFAULT_TIMING

async function formed(t: { teardown(fn: () => void): void }, seed = 1) {
  const cluster = await formedCluster(t, NAMES, { seed })
  await cluster.run(2000) // probes have measured the round trips
  return cluster
}

/** Every state each of `observers` records for `name` from now on. */
function watchAll(cluster: MockCluster, observers: string[], name: string) {
  return Object.fromEntries(observers.map((o) => [o, cluster.watch(o, name)]))
}

t.test(
  'a refusal fails a member within a probe round or two, without waiting out a suspicion',
  async (t) => {
    const cluster = await formed(t)
    const others = NAMES.filter((n) => n !== 'D')
    const seen = watchAll(cluster, others, 'D')
    cluster.crash('D', { quietly: true }) // nobody sees a connection close: only probes tell
    const ms = await cluster.until(() => cluster.sees(others, { D: 'failed' }), 20_000, 'failed')
    t.ok(
      ms < 3 * probeIntervalMs,
      `failed by all in ${ms} ms (a probe every ${probeIntervalMs} ms)`
    )
    for (const o of others) t.same(seen[o], ['failed'], `${o} never had to suspect it`)
  }
)

t.test(
  'silence makes a member a suspect, and it fails only after the suspicion period, everywhere within 10 s',
  async (t) => {
    const cluster = await formed(t)
    const others = NAMES.filter((n) => n !== 'E')
    const seen = watchAll(cluster, others, 'E')
    cluster.partition(['E'], others) // a cut cable: nothing is refused, nothing arrives
    const ms = await cluster.until(() => cluster.sees(others, { E: 'failed' }), 20_000, 'failed')
    t.ok(ms >= suspicionMs, `not before the suspicion period (${ms} ms)`)
    t.ok(ms <= 10_000, `failed by every member within 10 s (${ms} ms)`)
    for (const o of others) t.same(seen[o].at(-1), 'failed', `${o} ends with it failed`)
    t.ok(
      others.some((o) => seen[o][0] === 'suspect'),
      'the one who noticed first suspected it before failing it'
    )
    await cluster.until(
      () => cluster.sees(['E'], { A: 'failed', B: 'failed', C: 'failed', D: 'failed' }),
      20_000,
      'the cut-off member fails the others in turn'
    )
  }
)

t.test(
  'a frozen member is suspected but not failed, refutes when it wakes, and accuses no one',
  async (t) => {
    const cluster = await formed(t)
    const others = NAMES.filter((n) => n !== 'C')
    const seen = watchAll(cluster, others, 'C')
    const c = cluster.node('C')
    const incarnation = cluster.row('A', 'C')!.incarnation
    const linesBefore = c.log.length
    cluster.freeze('C') // SIGSTOP, as the bench does, for 5 s
    await cluster.run(5000)
    cluster.thaw('C')
    const back = await cluster.until(() => cluster.sees(NAMES, allAlive), 5000, 'alive again')
    t.ok(back < 1000, `seen alive by all ${back} ms after it woke`)
    await cluster.run(2 * suspicionMs)
    t.ok(cluster.sees(NAMES, allAlive), 'and it stays so')
    t.ok(
      others.some((o) => seen[o].includes('suspect')),
      'suspected while frozen'
    )
    for (const o of others) t.notOk(seen[o].includes('failed'), `never failed by ${o}`)
    t.ok(cluster.row('A', 'C')!.incarnation > incarnation, 'it refuted at a higher incarnation')
    const accusations = c.log
      .slice(linesBefore)
      .filter(
        (l) => (l.msg === 'member suspect' || l.msg === 'member failed') && l.memberName !== 'C'
      )
    t.same(accusations, [], 'its late timers and unanswered probes blamed no one')
  }
)

t.test(
  'a member one node cannot reach is kept alive by the others’ word (the indirect probe)',
  async (t) => {
    const cluster = await formed(t)
    const seen = NAMES.flatMap((o) => NAMES.filter((n) => n !== o).map((n) => cluster.watch(o, n)))
    cluster.partition(['A'], ['C'], { oneWay: true }) // A's messages to C are lost, not C's to A
    await cluster.run(6 * suspicionMs)
    t.ok(cluster.sees(NAMES, allAlive), 'everyone still alive to everyone')
    t.notOk(seen.flat().includes('failed'), 'no one was failed')
  }
)

t.test(
  'a partition fails each side for the other, and after it heals every member is alive again',
  async (t) => {
    const cluster = await formed(t)
    const left = ['A', 'B']
    const right = ['C', 'D', 'E']
    cluster.partition(left, right)
    await cluster.until(
      () =>
        cluster.sees(left, { C: 'failed', D: 'failed', E: 'failed' }) &&
        cluster.sees(right, { A: 'failed', B: 'failed' }),
      20_000,
      'each side fails the other'
    )
    t.ok(cluster.sees(left, { A: 'alive', B: 'alive' }), 'each side keeps itself alive')
    t.ok(cluster.sees(right, { C: 'alive', D: 'alive', E: 'alive' }))
    cluster.heal()
    const ms = await cluster.until(() => cluster.sees(NAMES, allAlive), 30_000, 'healed')
    t.ok(ms < 10_000, `the failed members were probed again and are back in ${ms} ms`)
  }
)

t.test('lost and duplicated messages fail no live member; a crash is still seen', async (t) => {
  const cluster = await formed(t, 7)
  const seen = NAMES.flatMap((o) => NAMES.filter((n) => n !== o).map((n) => cluster.watch(o, n)))
  cluster.net.setFaults({ drop: 0.1, duplicate: 0.1 })
  await cluster.run(60_000)
  const lost = cluster.net.traffic.filter((m) => m.copies === 0).length
  const twice = cluster.net.traffic.filter((m) => m.copies === 2).length
  t.ok(lost > 100 && twice > 100, `${lost} messages lost and ${twice} duplicated`)
  t.notOk(seen.flat().includes('failed'), 'no one was failed')
  t.ok(cluster.sees(NAMES, allAlive))
  cluster.crash('B')
  await cluster.until(
    () => cluster.sees(['A', 'C', 'D', 'E'], { B: 'failed' }),
    10_000,
    'a crash on a lossy network'
  )
})

t.test(
  'a round still out when the detector stops and starts again ends its loop: no loop runs twice',
  async (t) => {
    // A hand-made clock whose timers the test fires, and a transport that answers when told.
    const timers = new Set<{ run: () => void; ms: number }>()
    const clock = {
      now: () => 0,
      setTimeout(run: () => void, ms: number) {
        const timer = { run, ms }
        timers.add(timer)
        return timer
      },
      clearTimeout: (timer: unknown) => void timers.delete(timer as never),
    }
    let answer: (outcome: unknown) => void = () => undefined
    const peer = {
      id: 'p',
      name: 'P',
      address: 'http://127.0.0.1:1',
      state: 'alive',
      incarnation: 0,
    }
    const detector = new Detector({
      view: {
        others: (...states: string[]) => (states.includes('alive') ? [peer] : []),
        all: () => [peer],
        get: () => peer,
        self: peer,
        toUpdate: (m: unknown) => m,
        heardFrom: () => undefined,
        contact: () => undefined,
      },
      transport: { call: () => new Promise((resolve) => (answer = resolve)) },
      timing: DEFAULT_TIMING,
      clock,
      random: () => 0,
      log: pino({ level: 'silent' }),
      piggyback: () => [],
      heard: async () => undefined,
      decided: async () => undefined,
      forget: async () => undefined,
    } as never)
    detector.start()
    t.equal(timers.size, 4, 'four loops: probe, reconnect, sync, reap')
    const sync = [...timers][2] // its round waits on the transport
    timers.delete(sync)
    sync.run()
    await new Promise((resolve) => setImmediate(resolve))
    detector.stop() // a leave…
    detector.start() // …and a join answered, while the sync round is out
    answer({ ok: false, reason: 'timeout', message: 'no answer in time', at: 0 })
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    t.equal(timers.size, 4, 'still four once the old round ends')
    detector.stop()
  }
)

t.test(
  'connections that close after every answer (a proxy without keep-alive) cost one extra probe an interval, and a crash is still seen',
  async (t) => {
    const cluster = await formed(t, 3)
    const [a, d] = [cluster.node('A'), cluster.node('D')]
    const pingsToD = () =>
      cluster.net.traffic.filter(
        (m) => m.from === a.address && m.to === d.address && m.leg === 'request'
      ).length
    // Every few milliseconds A hears that its connection to D closed, as it would when each
    // exchange's connection is closed by the path once answered.
    const closing = () => a.transport.lost({ id: d.id })
    const before = pingsToD()
    const seconds = 10
    for (let ms = 0; ms < seconds * 1000; ms += 5) {
      closing()
      await cluster.run(5)
    }
    const sent = pingsToD() - before
    // Its own round, now and then, plus at most one out of turn each interval.
    const bound = 2 * Math.ceil((seconds * 1000) / probeIntervalMs) + 2
    t.ok(sent <= bound, `${sent} requests from A to D in ${seconds} s (at most ${bound})`)
    t.ok(cluster.sees(NAMES, allAlive), 'and nobody was failed')
    cluster.crash('D')
    const ms = await cluster.until(
      () => {
        closing()
        return cluster.sees(['A'], { D: 'failed' })
      },
      10_000,
      'D failed at A'
    )
    t.ok(ms < 3 * probeIntervalMs, `A failed the crashed D in ${ms} ms, closes going on`)
  }
)

t.test(
  'a member that refuses probes as signed before it started (it has just restarted, its clock ahead) is alive',
  async (t) => {
    // Its peers' clocks are behind its own, within the skew allowed: for that long after its start,
    // each request they sign is older than its start and refused TOO_EARLY, signed by it. That
    // refusal is its own word: it is up.
    const cluster = await formed(t)
    const others = NAMES.filter((n) => n !== 'D')
    const seen = watchAll(cluster, others, 'D')
    const d = cluster.node('D')
    for (const kind of Object.values(PEER_MESSAGES)) {
      d.routes.set(kind, async () => {
        throw new ProtocolError('TOO_EARLY', 'The request was signed before this node started')
      })
    }
    await cluster.run(4 * suspicionMs)
    for (const o of others) t.same(seen[o], [], `${o} never suspected it`)
    t.ok(cluster.sees(others, { D: 'alive' }))
  }
)
