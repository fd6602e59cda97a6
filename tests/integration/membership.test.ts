// The peer network with each node in its own process, as a user runs them: where the process is
// the point (a kill -9, a restart from disk, a SIGTERM that leaves). The protocol itself is
// tested in one process on a simulated network (tests/network/membership/).
import t from 'tap'
import {
  CLUSTER_KEY,
  QUICK_TIMING_ARGS,
  exitOf,
  startProcess,
  until,
  type NodeProcess,
} from '../fixtures/node-process.ts'
import { freePort } from '../fixtures/free-port.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api } from '../fixtures/test-node.ts'
import { almacen } from '../fixtures/client-kit.ts'

interface Test {
  teardown(fn: () => unknown): void
}

const dir = tempDir

const key = { ALMACEN_CLUSTER_KEY: CLUSTER_KEY }

function start(t: Test, name: string, dataDir: string, join: string[] = [], port = 0) {
  const joinArgs = join.length ? ['--join', join.join(',')] : []
  const args = ['--port', String(port), '--data-dir', dataDir, '--name', name, ...joinArgs]
  args.push(...QUICK_TIMING_ARGS)
  return startProcess(t, args, key)
}

/** Each member's state as `node` sees it, by name. */
async function view(node: NodeProcess): Promise<Record<string, string>> {
  const { body } = await api(node, 'GET', '/members')
  return Object.fromEntries(
    body.members.map((m: { name: string; state: string }) => [m.name, m.state])
  )
}

async function sees(nodes: NodeProcess[], expected: Record<string, string>): Promise<boolean> {
  const views = await Promise.all(nodes.map(view))
  return views.every((v) => Object.entries(expected).every(([name, state]) => v[name] === state))
}

// Bounds, not benchmarks: the targets (and Serf's figures) are measured by `npm run bench`.
const BOUND_MS = 8000

t.test(
  'a network forms through any member, notices a crash, and takes back a node restarted from its disk',
  async (t) => {
    const dirs = { a: dir(t, 'a'), b: dir(t, 'b'), c: dir(t, 'c') }
    const [pa, pb, pc] = [await freePort(), await freePort(), await freePort()]
    const url = (port: number) => `http://127.0.0.1:${port}`
    // All at once, as a site starts its nodes: each keeps trying the others until one answers.
    // C joins through B, a node that itself joins.
    const [a, b, c] = await Promise.all([
      start(t, 'A', dirs.a, [], pa),
      start(t, 'B', dirs.b, [url(pa)], pb),
      start(t, 'C', dirs.c, [url(pb)], pc),
    ])
    const all = { A: 'alive', B: 'alive', C: 'alive' }
    await until(() => sees([a, b, c], all), BOUND_MS, 'every node sees the three alive')
    const before = (await api(a, 'GET', '/members')).body.members.find(
      (m: { name: string }) => m.name === 'C'
    )

    c.child.kill('SIGKILL')
    const detection = await until(
      () => sees([a, b], { C: 'failed' }),
      BOUND_MS,
      'the crash is seen'
    )
    t.pass(`a kill -9 was seen as failed by every member in ${detection} ms`)

    const back = await start(t, 'C', dirs.c) // no --join: only what it kept on disk
    await until(() => sees([a, b, back], all), BOUND_MS, 'the restarted node is back')
    const after = (await api(a, 'GET', '/members')).body.members.find(
      (m: { name: string }) => m.name === 'C'
    )
    t.ok(after.incarnation > before.incarnation, 'it came back with a higher incarnation')
    const seenByBack = (await api(back, 'GET', '/members')).body
    t.match(seenByBack, { participating: true })
    // t.match takes an array pattern as a prefix: count the members exactly.
    t.equal(seenByBack.members.length, 3)
  }
)

t.test('a graceful leave is seen as left by every member and never as failed', async (t) => {
  const pa = await freePort()
  const seed = [`http://127.0.0.1:${pa}`]
  const [a, b, c] = await Promise.all([
    start(t, 'A', dir(t, 'a'), [], pa),
    start(t, 'B', dir(t, 'b'), seed),
    start(t, 'C', dir(t, 'c'), seed),
  ])
  await until(() => sees([a, b, c], { A: 'alive', B: 'alive', C: 'alive' }), BOUND_MS, 'formed')

  const seenOfB = new Set<string>()
  let watching = true
  const watch = (async () => {
    while (watching) {
      for (const v of await Promise.all([view(a), view(c)])) seenOfB.add(v.B)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()
  b.child.kill('SIGTERM')
  t.equal(await exitOf(b), 0, 'the leaving node stops cleanly')
  await until(() => sees([a, c], { B: 'left' }), BOUND_MS, 'the leave is seen')
  // Nothing can follow "left" but news B itself sends at a newer incarnation (rules.ts ranks
  // left above failed), so the watch ends here; the in-process tests (tests/network/) watch a
  // leave well past the suspicion period.
  watching = false
  await watch
  t.notOk(
    seenOfB.has('failed') || seenOfB.has('suspect'),
    `B was only ever seen as ${[...seenOfB].join(', ')}`
  )
  t.ok(
    b.lines.some((l) => l.msg === 'left the peer network'),
    'it announced its leave'
  )

  // An operator's leave keeps the node out until it is told to join again.
  const left = await api(c, 'POST', '/members/leave')
  t.match(left, { status: 200, body: { left: true } })
  t.same(left.body.missed, [], 'every member acknowledged it')
  await until(() => sees([a], { C: 'left' }), BOUND_MS, 'the operator leave is seen')
  t.match((await api(c, 'GET', '/members')).body, { participating: false })
  t.match(await api(c, 'POST', '/members/leave'), { status: 200, body: { alreadyLeft: true } })
  const joined = await api(c, 'POST', '/members/join', { addresses: [a.url] })
  t.match(joined, { status: 200, body: { joined: true } })
  await until(() => sees([a, c], { A: 'alive', C: 'alive' }), BOUND_MS, 'it is back after joining')
})

t.test(
  'almacen force-leave removes a killed node on every member, and the node rejoins when restarted',
  async (t) => {
    const pa = await freePort()
    const seed = [`http://127.0.0.1:${pa}`]
    const dirC = dir(t, 'c')
    const [a, b, c] = await Promise.all([
      start(t, 'A', dir(t, 'a'), [], pa),
      start(t, 'B', dir(t, 'b'), seed),
      start(t, 'C', dirC, seed),
    ])
    const all = { A: 'alive', B: 'alive', C: 'alive' }
    await until(() => sees([a, b, c], all), BOUND_MS, 'formed')

    const early = await almacen(['force-leave', 'C', '--url', a.url])
    t.match(early, { code: 1, stderr: /C is alive, not failed/ }, 'an alive node is refused')

    c.child.kill('SIGKILL')
    await until(() => sees([a, b], { C: 'failed' }), BOUND_MS, 'the crash is seen')
    const forced = await almacen(['force-leave', 'C', '--url', a.url])
    t.same(forced, {
      code: 0,
      stdout: '✔ C is left for good: 1 of 1 member acknowledged.\n',
      stderr: '',
    })
    // Acknowledged means B has committed it: no waiting needed.
    t.ok(await sees([a, b], { C: 'left' }), 'both remaining members show C left')
    t.match(await almacen(['force-leave', 'C', '--url', b.url]), {
      code: 1,
      stderr: /C has already left/,
    })

    const back = await start(t, 'C', dirC) // no --join: only what it kept on disk
    await until(() => sees([a, b, back], all), BOUND_MS, 'the restarted node rejoins')
  }
)
