// A warehouse whose disk died, restored from the replicas its peers hold of it, with every node
// a real process: its data directory deleted, started again with --restore, it must come back
// with the same node id, the same ledger (seqs and hashes) and balances, serve nothing before it
// is verified, and go on replicating to its peers; a restore interrupted goes on at the next
// start. After each, the replica checker (tests/fixtures/replica-check.ts). A restore refused, a
// forked replica, and a restore asked over the API are in restore-peers.test.ts.
import { mkdir } from 'node:fs/promises'
import knexFactory, { type Knex } from 'knex'
import t from 'tap'
import { databaseFile, knexConfig } from '../../db/knex-config.ts'
import { restoreAsked, restoreBegin } from '../../db/ledger/restore.ts'
import { ensureIdentity } from '../../db/operations/node.ts'
import { replicasWhole } from '../fixtures/replica-check.ts'
import { seedLedger } from '../fixtures/seed-ledger.ts'
import {
  address,
  eventsOf,
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
    await replicasWhole(t, [url(a), url(b), url(c)])
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
