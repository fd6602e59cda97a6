// A warehouse whose disk died, restored from the replicas its peers hold of it, with every node
// a real process: its data directory deleted, started again with --restore, it must come back
// with the same node id, the same ledger (seqs and hashes) and balances, serve nothing before it
// is verified, and go on replicating to its peers. A peer holding a forked replica is named and
// never used. After each, the replica checker (tests/fixtures/replica-check.ts).
import { cp, mkdir, rm } from 'node:fs/promises'
import knexFactory, { type Knex } from 'knex'
import t from 'tap'
import { databaseFile, knexConfig } from '../../db/knex-config.ts'
import { restoreAsked, restoreBegin } from '../../db/ledger/restore.ts'
import { ensureIdentity } from '../../db/operations/node.ts'
import { checkReplicas } from '../fixtures/replica-check.ts'
import { seedLedger } from '../fixtures/seed-ledger.ts'
import {
  address,
  eventsOf,
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
import { until } from '../fixtures/node-process.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

/** An empty node named Norte: its database migrated, its id made, then `then` done to it. */
async function emptyNode(dir: string, then: (knex: Knex, id: string) => Promise<unknown>) {
  await mkdir(dir, { recursive: true })
  const knex = knexFactory(knexConfig(databaseFile(dir)))
  try {
    await knex.migrate.latest()
    const { id } = await ensureIdentity(knex, 'Norte')
    await then(knex, id)
  } finally {
    await knex.destroy()
  }
}

t.test(
  'a node whose data directory was deleted comes back from its peers with the same id, ledger and balances, and replicates again',
  async (t) => {
    const a = await site(t, 'Norte')
    const b = await site(t, 'Centro', [a])
    const c = await site(t, 'Sur', [a])
    const aId = await seedLedger(a.dir, { name: 'Norte', items: 6, movements: 1200 })
    await Promise.all([start(t, a), start(t, b), start(t, c)])
    await api(url(a), 'POST', '/items', { sku: 'ROPE', name: 'Rope', unit: 'm', reorderPoint: 3 })
    await api(url(a), 'POST', '/movements', { type: 'receipt', sku: 'ROPE', quantity: 40 })
    await api(url(a), 'POST', '/movements', { type: 'issue', sku: 'ROPE', quantity: 12 })
    await until(holds(b, aId, 1202), 30_000, 'B holds A')
    await until(holds(c, aId, 1202), 30_000, 'C holds A')
    const ledger = await ledgerOf(a)
    const stock = (await api(url(a), 'GET', '/stock?limit=100')).body
    const head = (await api(url(a), 'GET', '/events?limit=1')).body.head as number
    const events = await eventsOf(a, head)

    await lose(a)
    a.join = [address(b), address(c)]
    await start(t, a, ['--restore'])
    await served(t, a)

    t.equal((await api(url(a), 'GET', '/node')).body.id, aId, 'the same node id')
    t.same(await ledgerOf(a), ledger, 'the same ledger: every seq and hash')
    t.same((await api(url(a), 'GET', '/stock?limit=100')).body, stock, 'the same balances')
    t.match((await api(url(a), 'POST', '/ledger/verify', {})).body, { ok: true })
    const { status, body: report } = await api(url(a), 'GET', '/ledger/restore')
    t.equal(status, 200)
    t.match(report, {
      nodeId: aId,
      restoredTo: { seq: 1202, hash: ledger[1201].hash },
      from: { name: /Centro|Sur/ },
      sources: [
        { peer: { name: /Centro|Sur/ }, replica: { position: { ledger: { seq: 1202 } } } },
        { peer: { name: /Centro|Sur/ }, replica: { position: { ledger: { seq: 1202 } } } },
      ],
      lastSeenBy: { name: /Centro|Sur/, at: String },
      mayBeLost: /after ledger row 1202.*if any/,
      verified: { movements: 1202, balances: 7 },
    })
    // Membership events after the last replicated one were not the peers' to hold.
    const restored = report.restoredTo.events
    t.ok(restored >= 1209 && restored <= head, `log restored to event ${restored} of ${head}`)
    t.same(await eventsOf(a, restored), events.slice(0, restored), 'the same event log, verbatim')
    t.equal(report.sources.filter((s: { used: boolean }) => s.used).length, 1, 'one used')
    t.ok(
      url(a).lines.some((l) => /^restored: ledger row 1202/.test(String(l.msg))),
      'the log says what was restored'
    )

    // The peers' cursors still hold: the log was reproduced verbatim.
    await api(url(a), 'POST', '/movements', { type: 'issue', sku: 'ROPE', quantity: 2 })
    await until(holds(b, aId, 1203), 20_000, 'B has the new movement')
    await until(holds(c, aId, 1203), 20_000, 'C has the new movement')
    t.match(await replicaOf(b, aId), { state: 'live', reason: null })
    const reports = await checkReplicas([url(a), url(b), url(c)], { complete: true })
    t.same(
      reports.flatMap((r) => r.problems),
      []
    )
  }
)

t.test(
  'a restore begun and not finished goes on at the next start, never opened under another id',
  async (t) => {
    const { a, b, aId } = await norteHeldByCentro(t, 3, 60)
    const ledger = await ledgerOf(a)
    await lose(a)
    // The first step of a restore on the empty directory, as --restore takes it; then the process
    // gone (killed mid-way).
    await emptyNode(a.dir, (knex) => restoreBegin(knex, { nodeId: aId }))
    a.join = [address(b)]
    await start(t, a) // no --restore
    await served(t, a)
    t.ok(
      url(a).lines.some((l) => String(l.msg) === `resuming the restore of node ${aId}`),
      'the log says it goes on'
    )
    t.equal((await api(url(a), 'GET', '/node')).body.id, aId, 'the restored id')
    t.same(await ledgerOf(a), ledger, 'the same ledger')
    const { members } = (await api(url(b), 'GET', '/members')).body
    t.same(
      members.filter((m: { name: string }) => m.name === 'Norte').map((m: { id: string }) => m.id),
      [aId],
      'no second Norte in the network'
    )

    // Earlier still: asked (--restore), stopped before the peers said whose. The next start
    // asks them again, by the warehouse's name.
    await lose(a)
    await emptyNode(a.dir, restoreAsked)
    await start(t, a)
    await served(t, a)
    t.equal((await api(url(a), 'GET', '/node')).body.id, aId, 'restored again, by name')
    t.same(await ledgerOf(a), ledger)
  }
)

t.test(
  "a catch-up of the node's own log begun and not finished is not taken for another's restore",
  async (t) => {
    // What a backup put back leaves while it catches up from its peers (runtime/backups.ts): a
    // restore of the node's own id, pending. A start with no --join is its catch-up's to handle.
    const dataDir = tempDir(t)
    await emptyNode(dataDir, (knex, id) => restoreBegin(knex, { nodeId: id }))
    const node = await startTestNode(t, { dataDir })
    t.equal((await api(node, 'GET', '/health')).status, 200, 'it starts, and answers')
  }
)

t.test(
  'a node holding its own ledger started with --restore by mistake is refused, records nothing, and starts again as it was',
  async (t) => {
    const { a, b, aId } = await norteHeldByCentro(t, 3, 20)
    const ledger = await ledgerOf(a)
    await stop(a)
    // Refused as soon as its database is open, before it listens.
    await t.rejects(
      start(t, a, ['--restore', '--join', address(b)]),
      /exited with 1 before listening: almacen: the restore did not start: this data directory holds a warehouse's own ledger \(20 movements, 3 items\): a restore only fills an empty one. Start the node without --restore/,
      'refused, saying why and what to do'
    )
    // Before, the directory then asked for a restore at every start, and said it held nothing.
    // One an earlier version left so is freed at its next start, said in the log.
    const knex = knexFactory(knexConfig(databaseFile(a.dir)))
    await knex('node_settings').insert({ key: 'restore_asked', value: new Date().toISOString() })
    await knex.destroy()
    await start(t, a)
    await served(t, a)
    t.ok(
      url(a).lines.some((l) =>
        /^a restore asked of this data directory by an earlier start is dropped: it holds its own ledger \(20 movements, 3 items\)/.test(
          String(l.msg)
        )
      ),
      'a trapped directory is freed, and the log says so'
    )
    t.equal((await api(url(a), 'GET', '/node')).body.id, aId, 'the same warehouse')
    t.same(await ledgerOf(a), ledger, 'its ledger untouched')
  }
)

t.test('a restore is refused, and says why, when no peer holds the node', async (t) => {
  const b = await site(t, 'Centro')
  await start(t, b)
  const a = await site(t, 'Norte', [b])
  const started = start(t, a, ['--restore'])
  const node = await started
  const code = await node.exited
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
  t.equal(await again.exited, 1)
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
    const reports = await checkReplicas([url(a), url(c)], { complete: true })
    t.same(
      reports.flatMap((r) => r.problems),
      []
    )
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

    const restored = await api(url(a), 'POST', '/ledger/restore', {})
    t.match(restored, { status: 200, body: { nodeId: aId, restoredTo: { seq: 300 } } })
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
    const reports = await checkReplicas([url(a), url(b)], { complete: true })
    t.same(
      reports.flatMap((r) => r.problems),
      []
    )
  }
)
