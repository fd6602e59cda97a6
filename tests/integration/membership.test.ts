import t from 'tap'
import { signRequest } from '../../network/transport/signing.ts'
import {
  CLUSTER_KEY,
  runMain,
  startProcess,
  until,
  type NodeProcess,
} from '../fixtures/node-process.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api } from '../fixtures/test-node.ts'

interface Test {
  teardown(fn: () => unknown): void
}

const dir = tempDir

const key = { ALMACEN_CLUSTER_KEY: CLUSTER_KEY }

function start(t: Test, name: string, dataDir: string, join: NodeProcess[] = [], env = key) {
  const joinArgs = join.length ? ['--join', join.map((n) => n.url).join(',')] : []
  return startProcess(t, ['--port', '0', '--data-dir', dataDir, '--name', name, ...joinArgs], env)
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
    const a = await start(t, 'A', dirs.a)
    const b = await start(t, 'B', dirs.b, [a])
    const c = await start(t, 'C', dirs.c, [b]) // through a node that itself joined
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
  const a = await start(t, 'A', dir(t, 'a'))
  const b = await start(t, 'B', dir(t, 'b'), [a])
  const c = await start(t, 'C', dir(t, 'c'), [a])
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
  t.equal(await b.exited, 0, 'the leaving node stops cleanly')
  await until(() => sees([a, c], { B: 'left' }), BOUND_MS, 'the leave is seen')
  // Keep watching past the probe and suspicion periods: a late "failed" would show here.
  await new Promise((resolve) => setTimeout(resolve, 3000))
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
  const nowhere = await api(c, 'POST', '/members/join', { addresses: ['http://127.0.0.1:1'] })
  t.match(nowhere, { status: 502, body: { code: 'PEER_UNREACHABLE' } })
  t.match(
    (await api(c, 'GET', '/members')).body,
    { participating: false },
    'a join that reached nobody leaves it out'
  )
  t.match(await api(c, 'POST', '/members/leave'), { status: 200, body: { alreadyLeft: true } })
  const joined = await api(c, 'POST', '/members/join', { addresses: [a.url] })
  t.match(joined, { status: 200, body: { joined: true } })
  await until(() => sees([a, c], { A: 'alive', C: 'alive' }), BOUND_MS, 'it is back after joining')
})

t.test(
  'a node with another cluster key cannot join, and cannot tell a member anything',
  async (t) => {
    const a = await start(t, 'A', dir(t, 'a'))
    const stranger = await start(t, 'Stranger', dir(t, 'stranger'), [a], {
      ALMACEN_CLUSTER_KEY: 'another-key-entirely-0000',
    })
    await until(
      () => stranger.lines.some((l) => l.msg === 'no peer answered the join; trying again'),
      BOUND_MS,
      'the stranger was refused'
    )
    t.match(JSON.stringify(stranger.lines), /without a valid signature \(another cluster key/)
    t.same(Object.keys(await view(a)), ['A'], 'the member never listed the stranger')
    const aId = (await api(a, 'GET', '/members')).body.self

    const news = JSON.stringify({
      from: { id: 'x', name: 'X', address: 'http://127.0.0.1:1', state: 'alive', incarnation: 9 },
      updates: [],
    })
    const send = (headers: Record<string, string>) =>
      fetch(`${a.url}/peer/gossip`, {
        method: 'POST',
        body: news,
        headers: { 'content-type': 'application/json', ...headers },
      })
    const unsigned = await send({})
    t.match(
      [unsigned.status, await unsigned.json()],
      [401, { code: 'UNAUTHENTICATED', error: /must be signed/ }]
    )
    const signed = (key: string) =>
      signRequest(key, { from: 'x', to: aId, method: 'POST', path: '/peer/gossip', body: news })
        .headers
    const wrongKey = await send(signed('another-key-entirely-0000'))
    t.match([wrongKey.status, await wrongKey.json()], [401, { error: /another cluster key/ }])
    const stale = signed(CLUSTER_KEY)
    stale['x-almacen-time'] = String(Date.now() - 120_000)
    t.match((await send(stale)).status, 401, 'a replayed old message is stale')
    t.same(Object.keys(await view(a)), ['A'], 'nothing was merged')
    const good = await send(signed(CLUSTER_KEY))
    t.equal(good.status, 200, 'the same message, signed with the key, is taken')

    const keyless = await runMain(
      ['--port', '0', '--data-dir', dir(t, 'keyless'), '--join', a.url],
      { ALMACEN_CLUSTER_KEY: '' }
    )
    t.equal(keyless.code, 2)
    t.match(keyless.stderr, /--join needs the cluster key/)
  }
)
