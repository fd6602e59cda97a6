// The replication part's own checks, small and without starting nodes (that part takes minutes):
// a seeded node's event log is one its peers can replicate, and the targets are judged on the
// figures given.
import t from 'tap'
import knexFactory from 'knex'
import { pino } from 'pino'
import { runBatch } from '../../db/batch.ts'
import { PROTOCOL_VERSION, type OpName, type Payload } from '../../db/contract/index.ts'
import { databaseFile, knexConfig } from '../../db/knex-config.ts'
import { EMPTY_LEDGER } from '../../db/ledger/hash.ts'
import type { ReplicationResult } from '../../bench/replication/main.ts'
import { formatReplication, replicationTargets } from '../../bench/replication/report.ts'
import { seedDatabase } from '../../bench/seed.ts'
import { testDb } from '../fixtures/test-db.ts'

const log = pino({ level: 'silent' })
const envelope = <O extends OpName>(op: O, payload: Payload<O>) => ({
  v: PROTOCOL_VERSION,
  id: op,
  op,
  payload,
  deadline: Date.now() + 60_000,
})

t.test('a database seeded with its event log is replicated whole by a peer', async (t) => {
  const dir = t.testdir()
  await seedDatabase(databaseFile(dir), { items: 5, movements: 60, events: true })
  const owner = knexFactory(knexConfig(databaseFile(dir)))
  t.teardown(() => owner.destroy())
  const after = { events: 0, ledger: EMPTY_LEDGER }
  const [page] = await runBatch(
    owner,
    [envelope('events.feed', { after, limit: 500, maxBytes: 4e6 })],
    { log }
  )
  if (!page.ok) throw new Error(page.error.message)
  const { events, head, upToDate } = page.data as Payload<'replicas.apply'>
  t.equal(events.length, 65, 'five items created, sixty movements recorded')
  const peer = await testDb(t)
  const apply = { nodeId: 'seeded', name: 'Seeded', after, events, head, upToDate }
  const [applied] = await runBatch(peer, [envelope('replicas.apply', apply)], { log })
  t.match(applied, {
    ok: true,
    data: { replica: { state: 'live', cursor: { ledger: { seq: 60 } } } },
  })
  const [check] = await runBatch(peer, [envelope('replicas.verify', { nodeId: 'seeded' })], { log })
  t.match(check, { ok: true, data: { ok: true } })
})

t.test('a database seeded without it has no event log (the HTTP part, as before)', async (t) => {
  const dir = t.testdir()
  await seedDatabase(databaseFile(dir), { items: 5, movements: 60 })
  const db = knexFactory(knexConfig(databaseFile(dir)))
  t.teardown(() => db.destroy())
  t.same(await db('events').count({ n: '*' }), [{ n: 0 }])
})

function result(over: {
  rate?: number
  ratio?: number
  p50?: number
  p99?: number
  worst?: number
  cost?: number
  restore?: { rows: number; seconds: number; verified?: boolean }
}): ReplicationResult {
  const times = { queries: 10, p50: 20, p99: 30, worst: over.worst ?? 40, timedOut: 0, late: 0 }
  return {
    catchUp: {
      rowsPerSecond: over.rate ?? 25_000,
      ratio: over.ratio ?? 0.5,
      page: 2000,
      runs: [{ verified: true }],
      verified: true,
    },
    lag: { targetRate: 500, nodes: 5, p50: over.p50 ?? 50, p99: over.p99 ?? 500 },
    stock: { deadlineMs: 1000, slackMs: 50, sizes: [{ nodes: 5, live: times, frozen: times }] },
    cost: { cases: ['read', 'receipt'].map((kase) => ({ kase, ratio: over.cost ?? 0.9 })) },
    restore: { verified: true, ...(over.restore ?? { rows: 1_000_000, seconds: 50 }) },
  } as unknown as ReplicationResult
}

t.test('the targets are met by figures within them, and not by figures outside', async (t) => {
  const met = (r: ReplicationResult) => replicationTargets(r).map((x) => x.met)
  t.same(met(result({})), [true, true, true, true, true, true, true, true])
  t.same(met(result({ rate: 19_999, ratio: 0.39 })).slice(0, 2), [false, false])
  t.same(met(result({ p50: 101 }))[3], false)
  t.same(met(result({ p99: 1001 }))[3], false)
  t.same(met(result({ worst: 1051 }))[4], false)
  t.same(met(result({ cost: 0.79 })).slice(5, 7), [false, false])
  t.same(met(result({ restore: { rows: 1_000_000, seconds: 61 } }))[7], false)
  t.same(met(result({ restore: { rows: 1_000_000, seconds: 30, verified: false } }))[7], false)
  t.same(
    met(result({ restore: { rows: 20_000, seconds: 2 } }))[7],
    null,
    'a quick run judges nothing'
  )
})

t.test('a network size that did not come up is reported, and fails the target', async (t) => {
  const r = result({})
  const why = 'replicas live: not within 120000 ms'
  r.stock.sizes.push({ nodes: 20, notMeasured: why })
  const stock = replicationTargets(r)[4]
  t.match(stock, { met: false, measured: 'worst 40 ms; N = 20 not measured' })
  r.stock.sizes = [{ nodes: 20, notMeasured: why }]
  t.match(replicationTargets(r)[4], { met: false, measured: 'N = 20 not measured' })
  const text = formatReplication({
    ...r,
    catchUp: { ...r.catchUp, rows: 100_000, runs: [] },
    lag: { ...r.lag, runs: [], seconds: 10, pollMs: 20, max: 0 },
    cost: {
      ...r.cost,
      cases: r.cost.cases.map((c) => ({ ...c, alone: [], withPeers: [], perCoreRatio: 1 })),
    },
    restore: { ...r.restore, runs: [], worst: 50 },
    date: '2026-12-03T00:00:00.000Z',
    command: 'npm run bench -- --part replication',
    machine: { cores: 2, cpu: 'test', memoryGb: 1, kernel: 'test', node: 'v20' },
    targets: replicationTargets(r),
  } as Parameters<typeof formatReplication>[0])
  t.match(text, `| 20 | not measured: ${why} |`)
})
