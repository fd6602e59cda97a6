// Replication across a cut link, with each node a real process that peers reach through a link
// it advertises (tests/fixtures/link.ts): the cable between owner and replica pulled in the middle
// of a catch-up, then put back. Judged by the replica checker (tests/fixtures/replica-check.ts):
// every replica a prefix of its owner's ledger, no row missing or repeated, balances the
// projection of the rows.
import t from 'tap'
import { openLink } from '../fixtures/link.ts'
import { until } from '../fixtures/node-process.ts'
import { replicasWhole } from '../fixtures/replica-check.ts'
import { seedLedger } from '../fixtures/seed-ledger.ts'
import { site, start, url, type Site } from '../fixtures/sites.ts'
import { api } from '../fixtures/test-node.ts'

const BACKLOG = 30_000

async function replicaOf(holder: Site, ownerId: string) {
  const { status, body } = await api(url(holder), 'GET', `/replicas/${ownerId}`)
  return status === 200 ? body : undefined
}

t.test(
  'the link cut mid-catch-up: the replica goes stale, then resumes from its cursor',
  async (t) => {
    const a = await site(t, 'Norte')
    const b = await site(t, 'Centro')
    const toA = await openLink(t, `http://127.0.0.1:${a.port}`)
    const toB = await openLink(t, `http://127.0.0.1:${b.port}`)
    const aId = await seedLedger(a.dir, { name: 'Norte', items: 20, movements: BACKLOG })
    await start(t, a, ['--advertise', toA.url])
    b.join = [toA.url]
    await start(t, b, ['--advertise', toB.url])
    await until(
      async () => ((await replicaOf(b, aId))?.cursor.ledger.seq ?? 0) > 0,
      20_000,
      'B starts catching up'
    )

    toA.cut('silent')
    toB.cut('silent')
    const cut = (await replicaOf(b, aId)).cursor.ledger.seq
    await until(async () => (await replicaOf(b, aId))?.state === 'stale', 15_000, 'B sees it stale')
    const stale = await replicaOf(b, aId)
    t.ok(cut < BACKLOG, `cut with ${cut} of ${BACKLOG} rows replicated`)
    t.match(stale, {
      state: 'stale',
      lastError: /timeout|timed out|membership says Norte failed|membership suspects it/,
    })
    const { body: members } = await api(url(b), 'GET', '/members')
    t.not(
      members.members.find((m: { id: string }) => m.id === aId)?.state,
      'alive',
      'B no longer counts Norte alive'
    )

    toA.heal()
    toB.heal()
    await until(
      async () => (await replicaOf(b, aId))?.cursor.ledger.seq === BACKLOG,
      30_000,
      'B resumes and catches up'
    ).catch(async (err) => {
      // What B says of the replica and of Norte, for the one who reads the failure.
      const { body: seen } = await api(url(b), 'GET', '/members')
      throw new Error(
        `${err.message}: ${JSON.stringify({ replica: await replicaOf(b, aId), seen })}`
      )
    })
    t.match(await replicaOf(b, aId), { state: 'live', rowsBehind: 0, lastError: null })
    await replicasWhole(
      t,
      [url(a), url(b)],
      'the replica is its owner ledger, no row missing or repeated, balances its projection'
    )
  }
)
