// Replication under faults, with each node a real process (runtime and worker), as a site runs
// them: the owner killed with kill -9 mid-catch-up, the puller's node killed mid-catch-up and
// restarted. After each, the checker (tests/fixtures/replica-check.ts): every replica a prefix of
// its owner's ledger, no row missing or repeated, balances equal to the projection of the rows.
// Replica rows corrupted on disk, and an owner stopped in a stream of writes, are in
// replication-disk.test.ts (two files, so that neither nears tap's timeout).
import t from 'tap'
import { until } from '../fixtures/node-process.ts'
import { replicasWhole } from '../fixtures/replica-check.ts'
import { seedLedger } from '../fixtures/seed-ledger.ts'
import { kill, replicaOf, site, start, url } from '../fixtures/sites.ts'
import { api } from '../fixtures/test-node.ts'

interface Test {
  teardown(fn: () => unknown): void
}

const BACKLOG = 30_000

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
  await replicasWhole(t, [url(a), url(b)])
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
  await replicasWhole(t, [url(a), url(b)])
})
