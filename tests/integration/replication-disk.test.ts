// Replication when a disk is changed or an owner stops mid-stream, with each node a real process
// (runtime and worker), as a site runs them: replica rows corrupted on disk with sqlite3 break
// that replica and no other, and a node stopped in a stream of writes leaves its peers every row
// it committed. The checker (tests/fixtures/replica-check.ts) judges the replicas. Nodes killed
// mid-catch-up are in replication-faults.test.ts.
import path from 'node:path'
import t from 'tap'
import { exitOf, runToEnd, until } from '../fixtures/node-process.ts'
import { checkReplicas } from '../fixtures/replica-check.ts'
import { seededSku, seedLedger } from '../fixtures/seed-ledger.ts'
import { kill, replicaOf, site, start, url, type Site } from '../fixtures/sites.ts'
import { api } from '../fixtures/test-node.ts'

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
  t.equal(await exitOf(url(a)), 0, 'Norte stopped cleanly')
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
