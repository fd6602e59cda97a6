// A warehouse restored from its peers, when they cannot all be trusted or the node is running:
// refused when no peer holds it, a peer with a forked replica named and never used, and a
// restore asked of a running empty node over the API. Every node a real process; after each, the
// replica checker (tests/fixtures/replica-check.ts). The restores from a deleted directory, and
// those interrupted, are in restore.test.ts (two files, so that neither nears tap's timeout).
import { cp, rm } from 'node:fs/promises'
import t from 'tap'
import { replicasWhole } from '../fixtures/replica-check.ts'
import { seedLedger } from '../fixtures/seed-ledger.ts'
import {
  address,
  halted,
  holds,
  ledgerOf,
  lose,
  norteHeldByCentro,
  replicaOf,
  served,
  site,
  start,
  stop,
  url,
} from '../fixtures/sites.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { exitOf, until } from '../fixtures/node-process.ts'
import { api } from '../fixtures/test-node.ts'

t.test('a restore is refused, and says why, when no peer holds the node', async (t) => {
  const b = await site(t, 'Centro')
  await start(t, b)
  const a = await site(t, 'Norte', [b])
  const started = start(t, a, ['--restore'])
  const node = await started
  const code = await exitOf(node)
  t.equal(code, 1)
  t.ok(
    node.lines.some((l) =>
      /^the restore did not start: no peer \(Centro\) holds a replica of a warehouse named "Norte"/.test(
        String(l.msg)
      )
    ),
    'the log says why, as a sentence'
  )
  t.ok(
    node.lines.some((l) =>
      /asks for this restore at each start until it is finished: to start a new warehouse there instead, remove it\)$/.test(
        String(l.msg)
      )
    ),
    'and what its directory does now'
  )
  // A plain start asks for it again: the directory was given to a restore, not to a new node.
  const again = await start(t, a)
  t.equal(await exitOf(again), 1)
  t.ok(again.lines.some((l) => /^the restore did not start: no peer/.test(String(l.msg))))
})

t.test(
  'a restore where one peer holds a forked replica names it and restores from the other',
  async (t) => {
    const a = await site(t, 'Norte')
    const b = await site(t, 'Centro', [a])
    const c = await site(t, 'Sur', [a])
    const aId = await seedLedger(a.dir, { name: 'Norte', items: 3, movements: 50 })
    await Promise.all([start(t, a), start(t, b), start(t, c)])
    await until(holds(b, aId, 50), 30_000, 'B holds A')
    await until(holds(c, aId, 50), 30_000, 'C holds A')
    // A backup of A at row 50; A goes on to 60 while C is down, and B replicates it.
    await stop(a)
    const backup = tempDir(t, 'backup')
    await cp(a.dir, backup, { recursive: true })
    await Promise.all([start(t, a), stop(c)])
    for (let i = 0; i < 10; i++) {
      await api(url(a), 'POST', '/movements', { type: 'receipt', sku: 'SEED-0001', quantity: 1 })
    }
    await until(holds(b, aId, 60), 20_000, 'B holds 60')
    // A is put back to its backup and writes other rows 51…55: B's rows 51…60 are a fork now.
    await stop(a)
    await rm(a.dir, { recursive: true })
    await cp(backup, a.dir, { recursive: true })
    await start(t, a)
    // Centro witnessed rows 51…60, which A no longer has: A halts, and its admin accepts the
    // backup as it stands (those rows are lost) before A writes on.
    await until(halted(a), 20_000, "Centro's witness halts A on its backup")
    t.match((await api(url(a), 'GET', '/health')).body.ledger.halt, {
      problems: [/Centro holds rows up to 60.*rows 51…60 are missing here/],
    })
    const rollback = 'the disk was put back from the backup at row 50'
    t.match(await api(url(a), 'POST', '/ledger/accept', { reason: rollback }), { status: 200 })
    for (let i = 0; i < 5; i++) {
      const issued = { type: 'issue', sku: 'SEED-0002', quantity: 1 }
      t.match(await api(url(a), 'POST', '/movements', issued), { status: 201 })
    }
    await until(
      async () => (await replicaOf(b, aId))?.state === 'broken',
      20_000,
      'B finds its replica forked'
    )
    await start(t, c)
    await until(holds(c, aId, 55), 20_000, 'C holds A as it is now')
    const ledger = await ledgerOf(a)

    await lose(a)
    a.join = [address(b), address(c)]
    await start(t, a, ['--restore'])
    await served(t, a)
    t.same(await ledgerOf(a), ledger, "A's ledger as it last was, from C")
    const { body: report } = await api(url(a), 'GET', '/ledger/restore')
    t.match(report, { from: { name: 'Sur' }, restoredTo: { seq: 55 } })
    const byName = Object.fromEntries(
      report.sources.map((s: { peer: { name: string } }) => [s.peer.name, s])
    )
    t.match(byName.Centro, {
      used: false,
      replica: { state: 'broken', reason: 'forked', position: { ledger: { seq: 60 } } },
      problem: /broken \(forked\).*not restored from while a peer holds a whole one/,
    })
    t.match(byName.Sur, { used: true, problem: null })
    // Centro witnessed rows 51…60 that A acknowledged once and lost to its backup: the start
    // check halts writes until an admin accepts the ledger as restored.
    await until(halted(a), 20_000, "Centro's witness halts A")
    t.match((await api(url(a), 'GET', '/health')).body.ledger.halt, {
      problems: [/Centro's copy and this ledger part at row 51/],
    })
    const reason = 'rows 51-60 were lost with the old disk; counted again by hand'
    t.match(await api(url(a), 'POST', '/ledger/accept', { reason }), { status: 200 })
    await api(url(a), 'POST', '/movements', { type: 'issue', sku: 'SEED-0002', quantity: 1 })
    await until(holds(c, aId, 56), 20_000, 'C has the new movement')
    // Restarted, A meets Centro's witness again, holding the same: accepted once, not halted again.
    await stop(a)
    await start(t, a)
    await until(
      async () =>
        url(a).lines.some((l) => /as it did when an admin accepted it/.test(String(l.msg))),
      20_000,
      "A's start check meets Centro's witness again"
    )
    t.match(
      await api(url(a), 'POST', '/movements', { type: 'issue', sku: 'SEED-0002', quantity: 1 }),
      { status: 201 },
      'A writes on after its restart'
    )
    t.match((await api(url(a), 'GET', '/health')).body.ledger, { writes: 'accepted' })
    await until(holds(c, aId, 57), 20_000, 'C has it')
    await replicasWhole(t, [url(a), url(c)])
  }
)

t.test(
  'POST /ledger/restore on a running empty node rebuilds it as the lost node; on a node that holds a ledger it is refused',
  async (t) => {
    const { a, b, aId } = await norteHeldByCentro(t, 3, 300)
    const ledger = await ledgerOf(a)
    // An empty node that asks for A's id while A runs is refused: two nodes would write as A.
    const d = await site(t, 'Oeste', [b])
    await start(t, d)
    const own = (await api(url(d), 'GET', '/node')).body.id
    t.match(await api(url(d), 'POST', '/ledger/restore', { nodeId: aId }), {
      status: 409,
      body: { code: 'CONFLICT', error: new RegExp(`Node ${aId} is running`) },
    })
    t.equal((await api(url(d), 'GET', '/node')).body.id, own, 'D keeps its own id')
    await stop(d)
    await lose(a)
    a.join = [address(b)]
    await start(t, a) // a new empty node, with an id of its own, in the network
    const fresh = (await api(url(a), 'GET', '/node')).body.id
    t.not(fresh, aId)
    t.match(await api(url(a), 'POST', '/ledger/restore', { nodeId: 'not an id' }), {
      status: 400,
    })

    // Asked twice while the worker is held (stopped, as a busy disk would hold it) under the
    // first's question: one restore runs, the other is refused at once, not run beside it.
    const workerPid = url(a).lines.findLast((l) => l.msg === 'database worker ready')
      ?.workerPid as number
    process.kill(workerPid, 'SIGSTOP')
    t.teardown(() => {
      try {
        process.kill(workerPid, 'SIGCONT')
      } catch {
        // gone with its node
      }
    })
    const asked = [0, 1].map(() => api(url(a), 'POST', '/ledger/restore', {}))
    let timer: NodeJS.Timeout | undefined
    const early = await Promise.race([
      ...asked,
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 3000))),
    ])
    clearTimeout(timer)
    process.kill(workerPid, 'SIGCONT')
    t.match(early, { status: 409, body: { code: 'CONFLICT', error: /A restore is under way/ } })
    const [restored, second] = (await Promise.all(asked)).sort((x, y) => x.status - y.status)
    t.match(restored, { status: 200, body: { nodeId: aId, restoredTo: { seq: 300 } } })
    t.equal(second.status, 409)
    t.equal((await api(url(a), 'GET', '/node')).body.id, aId, 'the lost node id')
    t.same(await ledgerOf(a), ledger)
    t.same((await api(url(a), 'GET', '/ledger/restore')).body, restored.body)

    const again = await api(url(a), 'POST', '/ledger/restore', {})
    t.match(again, {
      status: 409,
      body: {
        code: 'CONFLICT',
        error: /holds 300 movements and 3 items: a restore only fills an empty node/,
      },
    })
    t.same(await ledgerOf(a), ledger, 'nothing changed')
    await api(url(a), 'POST', '/movements', { type: 'receipt', sku: 'SEED-0001', quantity: 1 })
    await until(holds(b, aId, 301), 20_000, 'B has the new movement')
    await replicasWhole(t, [url(a), url(b)])
  }
)
