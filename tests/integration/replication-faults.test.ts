// Replication under faults, with each node a real process (runtime and worker), as a site runs
// them: the owner killed with kill -9 mid-catch-up, the puller's node killed mid-catch-up and
// restarted, replica rows corrupted on disk with sqlite3. After each, the checker
// (tests/fixtures/replica-check.ts): every replica a prefix of its owner's ledger, no row
// missing or repeated, balances equal to the projection of the rows.
import path from 'node:path'
import t from 'tap'
import {
  CLUSTER_KEY,
  runToEnd,
  startProcess,
  until,
  type NodeProcess,
} from '../fixtures/node-process.ts'
import { checkReplicas } from '../fixtures/replica-check.ts'
import { seededSku, seedLedger } from '../fixtures/seed-ledger.ts'
import { freePort } from '../fixtures/free-port.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api } from '../fixtures/test-node.ts'

interface Test {
  teardown(fn: () => unknown): void
}

const BACKLOG = 30_000

interface Site {
  name: string
  dir: string
  port: number
  join: string[]
  node?: NodeProcess
}

/** Starts (or restarts, on its data and port) a node in a process group of its own. */
async function start(t: Test, site: Site): Promise<NodeProcess> {
  const join = site.join.length ? ['--join', site.join.join(',')] : []
  const args = ['--port', String(site.port), '--data-dir', site.dir, '--name', site.name, ...join]
  site.node = await startProcess(t, args, { ALMACEN_CLUSTER_KEY: CLUSTER_KEY }, { detached: true })
  return site.node
}

/** kill -9 of the node and its worker together. */
async function kill(site: Site): Promise<void> {
  const node = site.node as NodeProcess
  process.kill(-(node.child.pid as number), 'SIGKILL')
  await node.exited
}

async function site(t: Test, name: string, join: Site[] = []): Promise<Site> {
  const port = await freePort()
  return { name, dir: tempDir(t, name), port, join: join.map((s) => `http://127.0.0.1:${s.port}`) }
}

async function replicaOf(holder: Site, ownerId: string) {
  const { status, body } = await api(holder.node as NodeProcess, 'GET', `/replicas/${ownerId}`)
  return status === 200 ? body : undefined
}

const url = (s: Site) => s.node as NodeProcess

/** Owner A with a backlog, and B joined to it and catching up on it. */
async function catchingUp(t: Test) {
  const a = await site(t, 'Norte')
  const b = await site(t, 'Centro', [a])
  const aId = await seedLedger(a.dir, { name: 'Norte', items: 20, movements: BACKLOG })
  await start(t, a)
  await start(t, b)
  await until(
    async () => ((await replicaOf(b, aId))?.cursor.ledger.seq ?? 0) > 0,
    20_000,
    'B starts catching up'
  )
  return { a, b, aId }
}

t.test('the owner killed with kill -9 mid-catch-up: the replica waits, then resumes', async (t) => {
  const { a, b, aId } = await catchingUp(t)
  await kill(a)
  const cut = (await replicaOf(b, aId)).cursor.ledger.seq
  t.ok(cut < BACKLOG, `A killed with ${cut} of ${BACKLOG} rows replicated`)
  await until(async () => (await replicaOf(b, aId))?.state === 'stale', 10_000, 'B sees it stale')
  // Why: the refused connection, or membership's word when it declared A failed first.
  t.match(await replicaOf(b, aId), {
    state: 'stale',
    lastError: /refused|unreachable|reset|membership says \S+ failed/,
  })

  await start(t, a)
  await until(
    async () => (await replicaOf(b, aId))?.cursor.ledger.seq === BACKLOG,
    30_000,
    'B resumes and catches up'
  )
  t.match(await replicaOf(b, aId), { state: 'live', rowsBehind: 0 })
  const reports = await checkReplicas([url(a), url(b)], { complete: true })
  t.same(
    reports.flatMap((r) => r.problems),
    []
  )
})

t.test('the puller killed with its node mid-catch-up resumes from its disk', async (t) => {
  const { a, b, aId } = await catchingUp(t)
  await kill(b)
  await start(t, b)
  const resumed = (await replicaOf(b, aId))?.cursor.ledger.seq ?? 0
  t.ok(resumed < BACKLOG, `restarted holding ${resumed} of ${BACKLOG} rows`)
  await api(url(a), 'POST', '/movements', { type: 'issue', sku: 'SEED-0001', quantity: 1 })
  await until(
    async () => (await replicaOf(b, aId))?.cursor.ledger.seq === BACKLOG + 1,
    30_000,
    'B catches up'
  )
  const reports = await checkReplicas([url(a), url(b)], { complete: true })
  t.same(
    reports.flatMap((r) => r.problems),
    []
  )
})

/** Runs SQL on a stopped node's database with the sqlite3 shell. */
async function sqlite(s: Site, text: string) {
  const file = path.join(s.dir, 'almacen.sqlite')
  const { code, stderr } = await runToEnd('sqlite3', [file, text], {})
  if (code !== 0) throw new Error(`sqlite3 failed: ${stderr}`)
}

t.test('replica rows changed on disk break the replica, and no row is taken after', async (t) => {
  const a = await site(t, 'Norte')
  const b = await site(t, 'Centro', [a])
  const c = await site(t, 'Sur', [a])
  const d = await site(t, 'Este', [a])
  const aId = await seedLedger(a.dir, { name: 'Norte', items: 5, movements: 200 })
  await Promise.all([start(t, a), start(t, b), start(t, c), start(t, d)])
  const holds = (s: Site, seq: number) => async () =>
    (await replicaOf(s, aId))?.cursor.ledger.seq === seq
  await until(holds(b, 200), 20_000, 'B holds A')
  await until(holds(c, 200), 20_000, 'C holds A')
  await Promise.all([kill(b), kill(c)])
  const edit = (seq: number) =>
    `DROP TRIGGER replica_movements_append_only_update;
     UPDATE replica_movements SET delta = delta + 5 WHERE seq = ${seq};`
  await sqlite(b, edit(200)) // the last row held
  await sqlite(c, edit(100)) // a row in the middle
  await Promise.all([start(t, b), start(t, c)])

  await api(url(a), 'POST', '/movements', { type: 'receipt', sku: 'SEED-0001', quantity: 3 })
  await until(async () => (await replicaOf(b, aId))?.state === 'broken', 20_000, 'B breaks')
  t.match(await replicaOf(b, aId), {
    state: 'broken',
    reason: 'chain_broken',
    lastError: /on this node's disk/,
    cursor: { ledger: { seq: 200 } },
  })
  // C's last rows check out, so it takes the new row; its verify finds the changed one.
  await until(holds(c, 201), 20_000, 'C takes the new row')
  const { body: check } = await api(url(c), 'POST', `/replicas/${aId}/verify`)
  t.match(check, { ok: false, differences: [{ kind: 'hash', seq: 100 }] })
  t.match(await replicaOf(c, aId), { state: 'broken', reason: 'chain_broken' })

  await api(url(a), 'POST', '/movements', { type: 'receipt', sku: 'SEED-0001', quantity: 4 })
  // A healthy replica (D's) takes it; the broken ones do not.
  await until(holds(d, 202), 10_000, 'D takes the row')
  t.equal((await replicaOf(b, aId)).cursor.ledger.seq, 200, 'B takes nothing more')
  t.equal((await replicaOf(c, aId)).cursor.ledger.seq, 201, 'C takes nothing more')

  const reports = await checkReplicas([url(a), url(b), url(c), url(d)])
  const bad = reports.filter((r) => r.problems.length > 0)
  t.same(
    bad.map((r) => [r.holder, r.owner]).sort(),
    [
      [(url(b) as { id?: string }).id, aId],
      [(url(c) as { id?: string }).id, aId],
    ].sort(),
    'the checker flags exactly the two replicas changed on disk'
  )
})

t.test('a node stopped in a stream of writes: its peers hold every row it committed', async (t) => {
  const a = await site(t, 'Norte')
  const b = await site(t, 'Centro', [a])
  const c = await site(t, 'Sur', [a])
  const aId = await seedLedger(a.dir, { name: 'Norte', items: 20, movements: 100 })
  for (const s of [a, b, c]) await start(t, s)
  const held = async (s: Site) => (await replicaOf(s, aId))?.cursor.ledger.seq ?? 0
  await until(async () => (await held(b)) === 100 && (await held(c)) === 100, 20_000, 'caught up')
  // Twenty clients, each writing one receipt after another until the node turns them away.
  let acknowledged = 0
  const writer = async (w: number) => {
    for (let n = 0; ; n++) {
      const body = { type: 'receipt', sku: seededSku((w + n) % 20), quantity: 1 }
      const { status } = await api(url(a), 'POST', '/movements', body).catch(() => ({ status: 0 }))
      if (status !== 201) return
      acknowledged++
    }
  }
  const writers = Array.from({ length: 20 }, (_, w) => writer(w))
  await until(async () => acknowledged >= 300, 20_000, 'a stream of writes')
  url(a).child.kill('SIGTERM') // a graceful stop: Norte leaves the network
  t.equal(await url(a).exited, 0, 'Norte stopped cleanly')
  await Promise.all(writers)
  const { stdout } = await runToEnd(
    'sqlite3',
    [path.join(a.dir, 'almacen.sqlite'), 'SELECT max(seq) FROM movements'],
    {}
  )
  const last = Number(stdout.trim())
  t.ok(last >= 100 + acknowledged, `Norte's last row ${last}, ${acknowledged} acknowledged`)
  // Norte is gone: a row its peers do not hold now is one they will not get from it.
  await until(
    async () => (await held(b)) === last && (await held(c)) === last,
    5_000,
    "both peers hold Norte's last row"
  )
  t.pass(`Centro and Sur hold row ${last}`)
})
