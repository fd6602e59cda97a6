// Replication's core on a simulated network: N members in one process, on a MockNetwork and a
// ManualClock, each owning a log in memory and keeping replicas in memory with the worker's own
// page checks (db/replicas/apply.ts's decide). Real processes: tests/integration/replication.
import t from 'tap'
import { pino } from 'pino'
import type { LogEvent, Replica } from '../../../db/contract/index.ts'
import { EMPTY_LEDGER, hashMovement, type LedgerHead } from '../../../db/ledger/hash.ts'
import { decide } from '../../../db/replicas/apply.ts'
import {
  ProtocolError,
  REPLICATION_MESSAGES,
  Replication,
  type FeedMessage,
  type LogPosition,
  type ReplicaStore,
} from '../../../network/index.ts'
import type { Clock } from '../../../network/clock.ts'
import type { PageToApply } from '../../../network/replication/store.ts'
import { formedCluster, type MockCluster, type SimNode } from '../../fixtures/mock-cluster.ts'

const FEED = REPLICATION_MESSAGES.feed

/** An owner's log in memory: receipts appended, served as the feed route serves it. */
class OwnerLog {
  readonly events: LogEvent[] = []
  ledger: LedgerHead = EMPTY_LEDGER
  private readonly waiters = new Set<() => void>()
  /** Set: every request is refused with this code. */
  refuse: string | null = null

  constructor(
    private readonly clock: Clock,
    private readonly flavour = ''
  ) {}

  receipts(n: number, sku = 'A'): void {
    for (let i = 0; i < n; i++) {
      const at = new Date(this.clock.now()).toISOString()
      const row = {
        seq: this.ledger.seq + 1,
        type: 'receipt',
        sku,
        quantity: 1,
        delta: 1,
        countedQuantity: null,
        balanceAfter: this.ledger.seq + 1,
        reference: this.flavour,
        note: '',
        createdAt: at,
        prevHash: this.ledger.hash,
      }
      const hash = hashMovement(row)
      this.ledger = { seq: row.seq, hash }
      const seq = this.events.length + 1
      const data = { ...row, hash }
      this.events.push({ seq, type: 'movement.recorded', subject: sku, data, createdAt: at })
    }
    for (const wake of [...this.waiters]) wake()
  }

  head(): LogPosition {
    return { events: this.events.length, ledger: this.ledger }
  }

  private hashAt(seq: number): string | undefined {
    if (seq === 0) return EMPTY_LEDGER.hash
    return (this.events.find((e) => (e.data as { seq: number }).seq === seq)?.data as any)?.hash
  }

  async feed(message: FeedMessage) {
    if (this.refuse) throw new ProtocolError(this.refuse as never, 'refused by the test')
    const { after, limit, waitMs } = message
    if (this.hashAt(after.ledger.seq) !== after.ledger.hash || after.events > this.events.length) {
      throw new ProtocolError('FORKED' as never, 'not in this log')
    }
    if (after.events === this.events.length && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.waiters.delete(done)
          this.clock.clearTimeout(timer)
          resolve()
        }
        const timer = this.clock.setTimeout(done, waitMs)
        this.waiters.add(done)
      })
    }
    const events = this.events.slice(after.events, after.events + limit)
    const upToDate = after.events + events.length >= this.events.length
    return { events, head: this.head(), upToDate }
  }
}

const same = (a: LogPosition, b: LogPosition) =>
  a.events === b.events && a.ledger.seq === b.ledger.seq && a.ledger.hash === b.ledger.hash

/** Replicas in memory, checked page by page as the worker checks them. Its node's "disk". */
class MemoryReplicas implements ReplicaStore {
  readonly replicas = new Map<string, Replica>()
  readonly held = new Map<string, LogEvent[]>()
  conflicts = 0
  pages: { nodeId: string; size: number }[] = []

  async load(nodeId: string) {
    const replica = this.replicas.get(nodeId)
    return replica && structuredClone(replica)
  }

  async apply(page: PageToApply) {
    const now = new Date().toISOString()
    const replica: Replica = this.replicas.get(page.nodeId) ?? {
      nodeId: page.nodeId,
      name: page.name,
      state: 'never_synced',
      reason: null,
      lastError: null,
      cursor: { events: 0, ledger: EMPTY_LEDGER },
      head: { events: 0, ledger: { seq: 0 } },
      caughtUpAt: null,
      createdAt: now,
      updatedAt: now,
    }
    this.replicas.set(page.nodeId, replica)
    if (replica.state === 'broken' || !same(replica.cursor, page.after)) {
      this.conflicts++
      return 'conflict' as const
    }
    const decided = decide(replica.cursor, page.events)
    if ('reason' in decided) {
      Object.assign(replica, {
        state: 'broken',
        reason: decided.reason,
        lastError: decided.message,
      })
      return structuredClone(replica)
    }
    this.pages.push({ nodeId: page.nodeId, size: page.events.length })
    this.held.set(page.nodeId, [
      ...(this.held.get(page.nodeId) ?? []),
      ...(page.events as LogEvent[]),
    ])
    replica.cursor = decided.cursor
    replica.state = page.upToDate ? 'live' : 'catching_up'
    return structuredClone(replica)
  }

  async break(nodeId: string, reason: Replica['reason'], message: string) {
    const replica = this.replicas.get(nodeId)
    if (replica) Object.assign(replica, { state: 'broken', reason, lastError: message })
  }

  /** Mends that fail before any is done, as a worker restarting would fail them. */
  mendFailures = 0

  async mend(nodeId: string, cursor: Replica['cursor']) {
    if (this.mendFailures > 0) {
      this.mendFailures--
      throw new Error('the database worker did not answer')
    }
    const replica = this.replicas.get(nodeId)
    if (!replica || !same(replica.cursor, cursor)) return 'conflict' as const
    if (replica.state === 'broken') {
      Object.assign(replica, { state: 'catching_up', reason: null, lastError: null })
    }
    return structuredClone(replica)
  }
}

interface Site {
  log: OwnerLog
  disk: MemoryReplicas
  replication?: Replication
}

/**
 * A store whose applies take `ms` (simulated) each, one after another as the worker runs them,
 * and whose `failAt`-th apply fails as a full disk would: what the pipelined catch-up meets.
 */
class SlowReplicas extends MemoryReplicas {
  inFlight = 0
  most = 0
  private calls = 0
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
    private readonly failAt: number
  ) {
    super()
  }

  override apply(page: PageToApply) {
    this.most = Math.max(this.most, ++this.inFlight)
    const call = ++this.calls
    const done = this.queue
      .then(() => new Promise<void>((resolve) => this.clock.setTimeout(() => resolve(), this.ms)))
      .then(() => {
        if (call === this.failAt) throw new Error('SQLITE_FULL: database or disk is full')
        return super.apply(page)
      })
      .finally(() => this.inFlight--)
    this.queue = done.catch(() => undefined)
    return done
  }
}

/** A formed cluster whose members own logs and replicate each other's (from `replicate()` on). */
async function sites(t: Parameters<typeof formedCluster>[0], names: string[]) {
  const site = new Map<string, Site>()
  const cluster = await formedCluster(t, names, {
    ownHead: (name) => site.get(name)?.log.head(),
  })
  for (const name of names) {
    site.set(name, { log: new OwnerLog(cluster.clock), disk: new MemoryReplicas() })
    serve(cluster, site, name)
  }
  return { cluster, site }
}

function serve(cluster: MockCluster, site: Map<string, Site>, name: string) {
  cluster
    .node(name)
    .routes.set(FEED, (_sender, message) =>
      (site.get(name) as Site).log.feed(message as FeedMessage)
    )
}

/** Starts a node's replication (at start, or after a restart) on its own disk. */
async function replicate(cluster: MockCluster, site: Map<string, Site>, node: SimNode) {
  const s = site.get(node.name) as Site
  const replication = new Replication({
    selfId: node.id,
    membership: node.membership,
    transport: node.transport,
    store: s.disk,
    log: pino({ level: 'silent' }),
    clock: cluster.clock.lane(node.lane),
  })
  s.replication = replication
  await replication.open()
  return replication
}

/** True when `holder` holds `owner`'s whole log. */
function holds(site: Map<string, Site>, cluster: MockCluster, holder: string, owner: string) {
  const held = site.get(holder)?.disk.replicas.get(cluster.node(owner).id)
  return !!held && same(held.cursor, (site.get(owner) as Site).log.head())
}

/** Every replica a prefix of its owner's log: same seqs, same events, none missing or repeated. */
function checkPrefixes(
  t: { same(a: unknown, b: unknown, m: string): unknown },
  cluster: MockCluster,
  site: Map<string, Site>
) {
  for (const [holder, s] of site) {
    for (const [ownerName, o] of site) {
      if (holder === ownerName) continue
      const held = s.disk.held.get(cluster.node(ownerName).id) ?? []
      t.same(held, o.log.events.slice(0, held.length), `${holder}'s replica of ${ownerName}`)
    }
  }
}

const feedRequests = (cluster: MockCluster, from: string, to: string) =>
  cluster.net.traffic.filter(
    (m) =>
      m.path === FEED.path &&
      m.leg === 'request' &&
      m.from === cluster.node(from).address &&
      m.to === cluster.node(to).address
  )

t.test('every member replicates every other, in big pages while far behind', async (t) => {
  const { cluster, site } = await sites(t, ['A', 'B', 'C'])
  site.get('A')?.log.receipts(5000)
  site.get('B')?.log.receipts(10)
  await cluster.run(3000) // a few probe rounds: the heads ride on them
  t.same(cluster.node('B').membership.headOf(cluster.node('A').id)?.head, site.get('A')?.log.head())
  for (const name of ['A', 'B', 'C']) await replicate(cluster, site, cluster.node(name))
  await cluster.until(
    () => ['B', 'C'].every((h) => holds(site, cluster, h, 'A')) && holds(site, cluster, 'A', 'B'),
    5000,
    'every replica catches up'
  )
  const sizes = site.get('B')?.disk.pages.filter((p) => p.nodeId === cluster.node('A').id)
  t.same(
    sizes?.map((p) => p.size),
    [2000, 2000, 500, 500],
    'pages of 2000 while the gossip says it is far behind, of 500 near the head'
  )
  checkPrefixes(t, cluster, site)
  t.equal(site.get('B')?.disk.replicas.get(cluster.node('A').id)?.state, 'live')

  // Up to date: each puller waits on its owner's feed, and a new event arrives at once.
  const before = feedRequests(cluster, 'B', 'A').length
  await cluster.run(10_000)
  t.ok(feedRequests(cluster, 'B', 'A').length - before <= 1, 'no polling while nothing happens')
  site.get('A')?.log.receipts(1)
  const ms = await cluster.until(() => holds(site, cluster, 'C', 'A'), 1000, 'the new row')
  t.ok(ms <= 20, `replicated ${ms} ms (simulated) after it was written`)
  t.same(site.get('B')?.disk.conflicts, 0)
})

t.test(
  'catching up, a page goes to the store before the one before it is committed; one that fails is taken again, nothing lost or repeated',
  async (t) => {
    const { cluster, site } = await sites(t, ['A', 'B'])
    const disk = new SlowReplicas(cluster.clock, 20, 3)
    ;(site.get('B') as Site).disk = disk
    site.get('A')?.log.receipts(5000)
    await cluster.run(3000) // the head rides on gossip: big pages from the start
    await replicate(cluster, site, cluster.node('B'))
    await cluster.until(() => holds(site, cluster, 'B', 'A'), 60_000, 'caught up')
    t.equal(disk.most, 2, 'two pages at the store at once while catching up, never more')
    t.ok(disk.conflicts >= 1, 'the page after the one that failed was refused, not applied')
    checkPrefixes(t, cluster, site)
  }
)

t.test('a crashed owner: pullers pause, and resume from the committed cursor', async (t) => {
  const { cluster, site } = await sites(t, ['A', 'B', 'C'])
  for (const name of ['A', 'B', 'C']) await replicate(cluster, site, cluster.node(name))
  site.get('A')?.log.receipts(300)
  await cluster.until(() => holds(site, cluster, 'B', 'A'), 5000, 'caught up')
  cluster.crash('A')
  await cluster.until(() => cluster.sees(['B', 'C'], { A: 'failed' }), 20_000, 'A failed')
  const whileDown = feedRequests(cluster, 'B', 'A').length
  await cluster.run(60_000)
  t.ok(feedRequests(cluster, 'B', 'A').length - whileDown <= 1, 'paused while A is failed')
  const paused = site
    .get('B')
    ?.replication?.peers()
    .find((p) => p.nodeId === cluster.node('A').id)
  t.match(paused, { following: false, lastError: /refused|unreachable|failed/ }, 'and says why')
  // Its disk kept its log; it comes back, and writes more.
  await cluster.start('A')
  serve(cluster, site, 'A')
  site.get('A')?.log.receipts(700)
  await cluster.until(
    () => holds(site, cluster, 'B', 'A') && holds(site, cluster, 'C', 'A'),
    10_000,
    'resumed'
  )
  checkPrefixes(t, cluster, site)
  t.same(site.get('B')?.disk.held.get(cluster.node('A').id)?.length, 1000, 'no row repeated')
})

t.test('an owner that leaves: its replicas stop asking it and say why', async (t) => {
  const { cluster, site } = await sites(t, ['A', 'B'])
  for (const name of ['A', 'B']) await replicate(cluster, site, cluster.node(name))
  site.get('A')?.log.receipts(10)
  await cluster.until(() => holds(site, cluster, 'B', 'A'), 5000, 'caught up')
  const leaving = cluster.node('A').membership.leave({ rejoin: false })
  await cluster.until(() => cluster.sees(['B'], { A: 'left' }), 5000, 'A left')
  await leaving
  const [status] = site.get('B')?.replication?.peers() ?? []
  t.match(status, { following: false, lastError: /membership says A left/ })
})

t.test(
  'a node that leaves asks no peer for its log until it joins again, then catches up',
  async (t) => {
    const { cluster, site } = await sites(t, ['A', 'B'])
    for (const name of ['A', 'B']) await replicate(cluster, site, cluster.node(name))
    site.get('A')?.log.receipts(10)
    await cluster.until(() => holds(site, cluster, 'B', 'A'), 5000, 'caught up')
    await cluster.finish(cluster.node('B').membership.leave({ rejoin: false }), 5000, 'B left')
    const [status] = site.get('B')?.replication?.peers() ?? []
    t.match(status, { following: false, lastError: /this node left the network/ }, 'says why')
    // A's log grows, and a long time passes: B, out of the network, does not follow it. (The
    // wait in flight when it left may still bring a page.)
    site.get('A')?.log.receipts(5)
    await cluster.run(60_000)
    const whileOut = feedRequests(cluster, 'B', 'A').length
    site.get('A')?.log.receipts(5)
    await cluster.run(60_000)
    t.equal(feedRequests(cluster, 'B', 'A').length, whileOut, 'no more requests')
    t.notOk(holds(site, cluster, 'B', 'A'), 'and nothing newer held')
    // Joined again: it follows A at once, from its committed cursor.
    const joined = cluster.node('B').membership.join([cluster.node('A').address])
    await cluster.finish(joined, 10_000, 'B joined')
    await cluster.until(() => holds(site, cluster, 'B', 'A'), 10_000, 'caught up again')
    checkPrefixes(t, cluster, site)
  }
)

t.test('a puller killed with its node resumes from its disk when the node restarts', async (t) => {
  const { cluster, site } = await sites(t, ['A', 'B'])
  for (const name of ['A', 'B']) await replicate(cluster, site, cluster.node(name))
  const disk = (site.get('B') as Site).disk
  const apply = disk.apply.bind(disk)
  // Killed right after its first page committed, with the next one on its way.
  disk.apply = async (page) => {
    const applied = await apply(page)
    if (disk.pages.length === 1) cluster.crash('B')
    return applied
  }
  site.get('A')?.log.receipts(5000)
  await cluster.until(() => disk.pages.length > 0, 5000, 'first page')
  await cluster.run(1000)
  const held = site.get('B')?.disk.held.get(cluster.node('A').id)?.length ?? 0
  t.ok(held > 0 && held < 5000, `killed midway, holding ${held}`)
  await cluster.run(2000)
  await replicate(cluster, site, await cluster.start('B'))
  await cluster.until(() => holds(site, cluster, 'B', 'A'), 10_000, 'caught up again')
  t.same(site.get('B')?.disk.held.get(cluster.node('A').id)?.length, 5000)
  checkPrefixes(t, cluster, site)
})

t.test(
  'failures back off from 250 ms, doubling to 30 s; a member seen alive is asked at once',
  async (t) => {
    const { cluster, site } = await sites(t, ['A', 'B'])
    const a = site.get('A') as Site
    a.log.refuse = 'BUSY'
    const b = cluster.node('B')
    const t0 = cluster.clock.now()
    const calls: number[] = []
    const call = b.transport.call.bind(b.transport)
    b.transport.call = ((c: { kind: unknown }) => {
      if (c.kind === FEED) calls.push(cluster.clock.now() - t0)
      return call(c as never)
    }) as never
    await replicate(cluster, site, b)
    await cluster.run(100_000)
    const gaps = calls.slice(1).map((at, i) => at - calls[i])
    t.same(
      gaps.slice(0, 9).map((g) => Math.round(g / 10) * 10),
      [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000],
      'each wait doubles, up to 30 s'
    )
    // The owner restarts: as soon as membership sees it alive again, it is asked at once.
    a.log.refuse = null
    cluster.crash('A')
    await cluster.until(() => cluster.sees(['B'], { A: 'failed' }), 20_000, 'A failed')
    await cluster.start('A')
    serve(cluster, site, 'A')
    a.log.receipts(3)
    const ms = await cluster.until(() => holds(site, cluster, 'B', 'A'), 30_000, 'asked at once')
    t.ok(ms < 2000, `replicated ${ms} ms after A came back, not after the backoff`)
  }
)

/** A and B, B replicating A, which holds 5 rows: B holds them all. */
async function bFollowsA(t: Parameters<typeof formedCluster>[0]) {
  const { cluster, site } = await sites(t, ['A', 'B'])
  await replicate(cluster, site, cluster.node('B'))
  const a = site.get('A') as Site
  a.log.receipts(5)
  await cluster.until(() => holds(site, cluster, 'B', 'A'), 5000, 'caught up')
  return { cluster, site, a }
}

t.test(
  'a forked owner breaks the replica and its puller stops, until the owner, back, holds its history again',
  async (t) => {
    const { cluster, site, a } = await bFollowsA(t)
    const first = a.log
    // A's disk is replaced by another history of the same length, then one more row.
    a.log = new OwnerLog(cluster.clock, 'another history')
    a.log.receipts(6)
    await cluster.run(30_000)
    const replica = site.get('B')?.disk.replicas.get(cluster.node('A').id)
    t.match(replica, { state: 'broken', reason: 'forked', lastError: /does not hold/ })
    const [status] = site.get('B')?.replication?.peers() ?? []
    t.match(status, { stopped: true, lastError: /does not hold/ })
    const asked = feedRequests(cluster, 'B', 'A').length
    await cluster.run(120_000)
    t.equal(feedRequests(cluster, 'B', 'A').length, asked, 'not asked again while A stays up')
    t.equal(site.get('B')?.disk.held.get(cluster.node('A').id)?.length, 5, 'nothing of it taken')
    // Restarted on another history still: asked once, and still broken.
    cluster.crash('A')
    await cluster.until(() => cluster.sees(['B'], { A: 'failed' }), 20_000, 'A failed')
    await cluster.start('A')
    serve(cluster, site, 'A')
    await cluster.run(30_000)
    t.match(site.get('B')?.disk.replicas.get(cluster.node('A').id), { state: 'broken' })
    t.equal(feedRequests(cluster, 'B', 'A').length, asked + 1, 'one question on its return')
    // Its disk put back as it was (the replica's history), it writes on; seen alive again, it holds
    // the replica's last row as the replica does: mended, and followed on.
    cluster.crash('A')
    await cluster.until(() => cluster.sees(['B'], { A: 'failed' }), 20_000, 'A failed again')
    a.log = first
    first.receipts(3)
    // It says nothing at first (stopping, say): asked again and again, never given up on.
    first.refuse = 'NODE_STOPPING'
    await cluster.start('A')
    serve(cluster, site, 'A')
    const before = feedRequests(cluster, 'B', 'A').length
    await cluster.run(10_000)
    t.ok(feedRequests(cluster, 'B', 'A').length - before >= 3, 'asked again, backing off')
    t.match(site.get('B')?.disk.replicas.get(cluster.node('A').id), { state: 'broken' })
    // Its answer comes, and the store fails the mend twice (its worker restarting): tried again.
    ;(site.get('B') as Site).disk.mendFailures = 2
    first.refuse = null
    await cluster.until(() => holds(site, cluster, 'B', 'A'), 60_000, 'mended and caught up')
    t.equal((site.get('B') as Site).disk.mendFailures, 0, 'both failures met on the way')
    t.match(site.get('B')?.disk.replicas.get(cluster.node('A').id), {
      state: 'live',
      reason: null,
      lastError: null,
    })
    t.match(site.get('B')?.replication?.peers()[0], { stopped: false, lastError: null })
    t.same(
      site.get('B')?.disk.held.get(cluster.node('A').id),
      first.events,
      'the first history, each event once'
    )
  }
)

t.test(
  "a replica dropped (reseeded) is followed afresh from the start of its owner's log",
  async (t) => {
    const { cluster, site, a } = await bFollowsA(t)
    const b = site.get('B') as Site
    const idA = cluster.node('A').id
    // A's ledger parts from B's replica for good (an accepted rollback: another history).
    a.log = new OwnerLog(cluster.clock, 'the accepted history')
    a.log.receipts(7)
    await cluster.run(30_000)
    t.match(b.disk.replicas.get(idA), { state: 'broken', reason: 'forked' })
    // An admin drops it (replicas.reseed empties the store's replica), and it follows again.
    b.disk.replicas.delete(idA)
    b.disk.held.delete(idA)
    b.replication?.refollow(idA)
    await cluster.until(() => holds(site, cluster, 'B', 'A'), 30_000, 'followed afresh')
    t.same(b.disk.held.get(idA), a.log.events, 'the accepted history, each event once')
    t.match(b.replication?.peers()[0], { stopped: false, failing: false, lastError: null })
  }
)
