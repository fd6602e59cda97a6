// A warehouse whose disk died, restored from the replicas its peers hold of it, with every node
// a real process: its data directory deleted, started again with --restore, it must come back
// with the same node id, the same ledger (seqs and hashes) and balances, serve nothing before it
// is verified, and go on replicating to its peers. A peer holding a forked replica is named and
// never used. After each, the replica checker (tests/fixtures/replica-check.ts).
import { cp, rm } from 'node:fs/promises'
import path from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import {
  CLUSTER_KEY,
  QUICK_TIMING_ARGS,
  startProcess,
  until,
  type NodeProcess,
} from '../fixtures/node-process.ts'
import { checkReplicas } from '../fixtures/replica-check.ts'
import { seedLedger } from '../fixtures/seed-ledger.ts'
import { freePort } from '../fixtures/free-port.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api } from '../fixtures/test-node.ts'
import { hashMovement } from '../../db/ledger/hash.ts'
import { MOVEMENT_ROW } from '../../db/ledger/row.ts'
import type { Movement } from '../../db/contract/index.ts'

interface Test {
  teardown(fn: () => unknown): void
}

interface Site {
  name: string
  dir: string
  port: number
  join: string[]
  node?: NodeProcess
}

const address = (s: Site) => `http://127.0.0.1:${s.port}`

async function site(t: Test, name: string, join: Site[] = []): Promise<Site> {
  return { name, dir: tempDir(t, name), port: await freePort(), join: join.map(address) }
}

/** Starts (or restarts, on its data and port) a node in a process group of its own. */
async function start(t: Test, s: Site, extra: string[] = []): Promise<NodeProcess> {
  const join = s.join.length ? ['--join', s.join.join(',')] : []
  const args = ['--port', String(s.port), '--data-dir', s.dir, '--name', s.name, ...join]
  s.node = await startProcess(
    t,
    [...args, ...QUICK_TIMING_ARGS, ...extra],
    { ALMACEN_CLUSTER_KEY: CLUSTER_KEY },
    { detached: true }
  )
  return s.node
}

/** The disk dies: kill -9 of the node and its worker, and its data directory gone. */
async function lose(s: Site): Promise<void> {
  const node = s.node as NodeProcess
  process.kill(-(node.child.pid as number), 'SIGKILL')
  await node.exited
  await rm(s.dir, { recursive: true, force: true })
}

/** A clean stop (SIGTERM: it leaves the network and its worker commits). */
async function stop(s: Site): Promise<void> {
  const node = s.node as NodeProcess
  node.child.kill('SIGTERM')
  await node.exited
}

const url = (s: Site) => s.node as NodeProcess

async function ledgerOf(s: Site): Promise<{ seq: number; hash: string }[]> {
  const rows: { seq: number; hash: string }[] = []
  let cursor: string | null = null
  do {
    const query: string = `?order=asc&limit=500${cursor ? `&cursor=${cursor}` : ''}`
    const { body } = await api(url(s), 'GET', `/movements${query}`)
    rows.push(
      ...body.movements.map((m: { seq: number; hash: string }) => ({ seq: m.seq, hash: m.hash }))
    )
    cursor = body.nextCursor
  } while (cursor)
  return rows
}

/** The node's event log up to seq `upTo`, verbatim. */
async function eventsOf(s: Site, upTo: number): Promise<unknown[]> {
  const events: { seq: number }[] = []
  while (events.length < upTo) {
    const after = events.at(-1)?.seq ?? 0
    const { body } = await api(url(s), 'GET', `/events?after=${after}&limit=500`)
    if (body.events.length === 0) break
    events.push(...body.events)
  }
  return events.slice(0, upTo)
}

async function replicaOf(holder: Site, ownerId: string) {
  const { status, body } = await api(url(holder), 'GET', `/replicas/${ownerId}`)
  return status === 200 ? body : undefined
}

const halted = (s: Site) => async () =>
  (await api(url(s), 'GET', '/health')).body.ledger.writes === 'refused'

const holds = (s: Site, ownerId: string, seq: number) => async () =>
  (await replicaOf(s, ownerId))?.cursor.ledger.seq === seq

/** Waits for the restored node to serve; every answer before that must be 503 RESTORING. */
async function served(t: { same(found: unknown, wanted: unknown): void }, s: Site) {
  const early: unknown[] = []
  await until(
    async () => {
      const { status, body } = await api(url(s), 'GET', '/node')
      if (status !== 200) early.push({ status, code: body?.code })
      return status === 200
    },
    60_000,
    'the restored node serves'
  )
  for (const answer of early) t.same(answer, { status: 503, code: 'RESTORING' })
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
      /No peer \(Centro\) holds a replica of a warehouse named "Norte"/.test(String(l.msg))
    ),
    'the log says why'
  )
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
    for (let i = 0; i < 5; i++) {
      await api(url(a), 'POST', '/movements', { type: 'issue', sku: 'SEED-0002', quantity: 1 })
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
      problem: /broken \(forked\).*never restored from/,
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
    const reports = await checkReplicas([url(a), url(c)], { complete: true })
    t.same(
      reports.flatMap((r) => r.problems),
      []
    )
  }
)

/**
 * What an attacker with the disk does: a row's note changed, and every row from it on re-hashed
 * and re-linked, the head anchor with them, so that the ledger checks out by itself.
 */
function rehashFrom(s: Site, seq: number) {
  const db = new Database(path.join(s.dir, 'almacen.sqlite'))
  db.exec('DROP TRIGGER movements_append_only_update')
  const rows = db.prepare('SELECT * FROM movements WHERE seq >= ? ORDER BY seq').all(seq)
  let prev = (
    db.prepare('SELECT hash FROM movements WHERE seq = ?').get(seq - 1) as { hash: string }
  ).hash
  const update = db.prepare('UPDATE movements SET note = ?, prev_hash = ?, hash = ? WHERE seq = ?')
  for (const stored of rows) {
    const row = MOVEMENT_ROW.fromRow(stored as never) as Movement
    if (row.seq === seq) row.note = 'changed afterwards'
    const { hash: _old, ...fields } = { ...row, prevHash: prev }
    prev = hashMovement(fields)
    update.run(row.note, fields.prevHash, prev, row.seq)
  }
  db.prepare('UPDATE ledger_head SET hash = ?').run(prev)
  db.close()
}

t.test(
  'a ledger re-hashed on its own disk is caught by its witnesses at start and at verify; with no peer up it is said plainly',
  async (t) => {
    const a = await site(t, 'Norte')
    const b = await site(t, 'Centro', [a])
    const aId = await seedLedger(a.dir, { name: 'Norte', items: 4, movements: 100 })
    await Promise.all([start(t, a), start(t, b)])
    await until(holds(b, aId, 100), 30_000, 'B holds A')
    await stop(a)
    rehashFrom(a, 60)
    await start(t, a)

    await until(halted(a), 20_000, 'the start check halts writes on the witness')
    const refused = await api(url(a), 'POST', '/movements', {
      type: 'receipt',
      sku: 'SEED-0001',
      quantity: 1,
    })
    t.match(refused, {
      status: 409,
      body: { code: 'LEDGER_HALTED', error: /Centro's copy and this ledger part at row 60/ },
    })
    const verified = await api(url(a), 'POST', '/ledger/verify', {})
    t.match(verified.body, {
      ok: false,
      differences: [{ kind: 'witness', seq: 60, message: /Centro's copy .* part at row 60/ }],
      witnesses: {
        available: true,
        witnesses: [{ peer: { name: 'Centro' }, verdict: 'differs', holds: { seq: 100 } }],
      },
    })
    t.equal(verified.body.differences.length, 1, 'by itself, the ledger checks out')
    // An outsider's check says the same: Centro's copy and A's ledger differ from row 60 on.
    const [ofA] = (await checkReplicas([url(a), url(b)])).filter((r) => r.owner === aId)
    t.equal(ofA.problems.filter((p) => /differs from the owner/.test(p)).length, 41)
    t.match(ofA.problems[0], /row 60 differs/)

    await stop(b)
    const alone = await api(url(a), 'POST', '/ledger/verify', {})
    t.match(alone.body, {
      ok: true,
      witnesses: { available: false, summary: /^no witness available/ },
    })
  }
)
