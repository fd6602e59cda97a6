// The outbox relay on a simulated network: members in one process, on a MockNetwork and a
// ManualClock, each with its outbox and inbox in memory (tests/fixtures/memory-transfers.ts,
// which applies each message id once per sender, as the worker's inbox does).
import t from 'tap'
import { pino } from 'pino'
import type { Clock } from '../../../network/clock.ts'
import {
  DEFAULT_RELAY,
  ProtocolError,
  Relay,
  TRANSFER_MESSAGES,
  type TransferMessagesMessage,
} from '../../../network/index.ts'
import { formedCluster, seeded, type MockCluster } from '../../fixtures/mock-cluster.ts'
import { MemoryTransfers } from '../../fixtures/memory-transfers.ts'

type Answerer = (sender: string, message: TransferMessagesMessage) => Promise<unknown>

interface Site {
  disk: MemoryTransfers
  relay?: Relay
  /** What answers at the peer route; the inbox by default (a test may put a proxy in front). */
  answer: Answerer
}

const TIMING = { answerMs: 1000 }

/** A formed cluster whose members relay their outboxes (from `relay()` on). */
async function sites(t: Parameters<typeof formedCluster>[0], names: string[]) {
  const cluster = await formedCluster(t, names)
  const site = new Map<string, Site>()
  for (const name of names) {
    const disk = new MemoryTransfers()
    const s: Site = {
      disk,
      answer: async (sender, { fromName, messages }) => {
        const answer = await disk.inbox(sender, fromName, messages)
        s.relay?.wake(sender) // the inbox may have put answers in the outbox
        return answer
      },
    }
    site.set(name, s)
    cluster
      .node(name)
      .routes.set(TRANSFER_MESSAGES, (sender, message) =>
        s.answer(sender, message as TransferMessagesMessage)
      )
  }
  for (const name of names) await relay(cluster, site, name)
  t.teardown(() => {
    for (const s of site.values()) void s.relay?.close()
  })
  return { cluster, site, of: (name: string) => site.get(name) as Site }
}

/**
 * Starts a node's relay (at start, or after a restart) on its own disk; on its lane of the
 * simulated clock, or on `clock` (made from that lane).
 */
async function relay(
  cluster: MockCluster,
  site: Map<string, Site>,
  name: string,
  clock: (lane: Clock) => Clock = (lane) => lane
) {
  const node = cluster.node(name)
  const s = site.get(name) as Site
  s.disk.dead = false
  s.relay = new Relay({
    identity: { id: node.id, name },
    membership: node.membership,
    transport: node.transport,
    store: s.disk,
    log: pino({ level: 'silent' }),
    clock: clock(cluster.clock.lane(node.lane)),
    random: seeded(7),
    timing: TIMING,
  })
  await s.relay.open()
  return s.relay
}

/** Replaces a node's relay with one whose wall clock the test can set back by `back.ms`. */
async function relayWithClock(cluster: MockCluster, site: Map<string, Site>, name: string) {
  await site.get(name)?.relay?.close()
  const back = { ms: 0 }
  await relay(cluster, site, name, (lane) => ({
    now: () => lane.now() - back.ms,
    setTimeout: (run, ms) => lane.setTimeout(run, ms),
    clearTimeout: (timer) => lane.clearTimeout(timer),
  }))
  return back
}

/** kill -9 of a node: its process, and with it its relay, is gone; its disks stay. */
function crash(cluster: MockCluster, site: Map<string, Site>, name: string) {
  cluster.crash(name)
  ;(site.get(name) as Site).disk.dead = true
}

const delivered = (disk: MemoryTransfers, to?: string) =>
  disk.rows(to).every((r) => r.deliveredAt !== null)

/**
 * `disk`'s records of deliveries fail with `error` (the worker restarting, a full disk) while
 * `refuse(n)` says so, `n` the ones refused so far (counted in what it returns).
 */
function refuseRecords(disk: MemoryTransfers, error: string, refuse: (n: number) => boolean) {
  const settle = disk.settle.bind(disk)
  const refused = { n: 0 }
  disk.settle = async (settlement) => {
    if (settlement.delivered.length > 0 && refuse(refused.n)) {
      refused.n++
      throw new Error(error)
    }
    return settle(settlement)
  }
  return refused
}

/** The ids applied by `disk`'s inbox, from `from`, in the order applied. */
const appliedFrom = (disk: MemoryTransfers, from: string) =>
  disk.applied.filter((a) => a.from === from).map((a) => a.message.id)

t.test('each peer gets its messages in order, in batches of at most 100', async (t) => {
  const { cluster, of } = await sites(t, ['A', 'B', 'C'])
  const a = of('A')
  const toB = Array.from({ length: 250 }, () => a.disk.enqueue(cluster.node('B').id).id)
  const toC = Array.from({ length: 3 }, () => a.disk.enqueue(cluster.node('C').id).id)
  const batches: number[] = []
  const inbox = of('B').answer
  of('B').answer = (sender, message) => (
    batches.push(message.messages.length),
    inbox(sender, message)
  )
  a.relay?.wake()
  await cluster.until(() => delivered(a.disk), 1000, 'the outbox drains')
  t.same(appliedFrom(of('B').disk, 'node-a'), toB, 'B applied every message once, in order')
  t.same(appliedFrom(of('C').disk, 'node-a'), toC)
  t.same(batches, [100, 100, 50])
  t.ok(a.disk.rows().every((r) => r.status === 'applied' && r.attempts === 0))
})

t.test(
  'under a backlog, each batch goes once the one before is answered, not once it is recorded',
  async (t) => {
    const { cluster, of } = await sites(t, ['A', 'B'])
    const a = of('A')
    const B = cluster.node('B').id
    const sent = Array.from({ length: 250 }, () => a.disk.enqueue(B).id)
    // Each delivery's record is held (a worker busy with the writes that fill the outbox).
    const settle = a.disk.settle.bind(a.disk)
    const held: (() => void)[] = []
    a.disk.settle = (settlement) =>
      new Promise((resolve, reject) =>
        held.push(() => void settle(settlement).then(resolve, reject))
      )
    a.relay?.wake(B)
    await cluster.until(
      () => appliedFrom(of('B').disk, 'node-a').length === 250,
      1000,
      'B has every batch'
    )
    t.equal(held.length, 3, "three batches' deliveries wait to be recorded")
    t.ok(
      a.disk.rows(B).every((r) => r.deliveredAt === null),
      'none recorded yet'
    )
    for (const release of held.splice(0)) release()
    await cluster.until(() => delivered(a.disk), 1000, 'each recorded')
    t.same(appliedFrom(of('B').disk, 'node-a'), sent, 'applied once each, in order')
    t.ok(
      a.disk.rows().every((r) => r.status === 'applied'),
      'none sent twice'
    )
  }
)

t.test(
  'a delivery whose record fails is sent again after a back-off, and answered duplicate',
  async (t) => {
    const { cluster, of } = await sites(t, ['A', 'B'])
    const a = of('A')
    const B = cluster.node('B').id
    const refused = refuseRecords(
      a.disk,
      'The database worker is unavailable (restarting)',
      (n) => n === 0
    )
    // One message, no backlog: the lane went idle after the answer, and the failure wakes it.
    const id = a.disk.enqueue(B).id
    a.relay?.wake(B)
    await cluster.until(() => delivered(a.disk), 5000, 'recorded once the worker answers')
    t.equal(refused.n, 1)
    t.same(appliedFrom(of('B').disk, 'node-a'), [id], 'applied once')
    t.same(
      of('B').disk.arrivals.map((x) => x.results.map((r) => r.status)),
      [['applied'], ['duplicate']]
    )
  }
)

t.test(
  'a read ahead that fails while its batch is with the peer is read again, and crashes nothing',
  async (t) => {
    const { cluster, of } = await sites(t, ['A', 'B'])
    const a = of('A')
    const B = cluster.node('B').id
    const sent = Array.from({ length: 250 }, () => a.disk.enqueue(B).id)
    const pending = a.disk.pending.bind(a.disk)
    let reads = 0
    a.disk.pending = async (to, limit) => {
      if (++reads === 2) throw new Error('The database worker is unavailable (restarting)')
      return pending(to, limit)
    }
    // B answers a while later: the read ahead has failed long before.
    const inbox = of('B').answer
    of('B').answer = async (sender, message) => {
      await new Promise<void>((resolve) => cluster.clock.setTimeout(resolve, 50))
      return inbox(sender, message)
    }
    const unhandled: unknown[] = []
    const note = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', note)
    t.teardown(() => void process.off('unhandledRejection', note))
    a.relay?.wake(B)
    await cluster.until(() => delivered(a.disk), 10_000, 'the outbox drains')
    t.same(unhandled, [], 'no rejection left unhandled')
    t.same(appliedFrom(of('B').disk, 'node-a'), sent, 'applied once each, in order')
  }
)

t.test('a record that fails again and again backs off further each time', async (t) => {
  const { cluster, of } = await sites(t, ['A', 'B'])
  const a = of('A')
  const B = cluster.node('B').id
  refuseRecords(a.disk, 'SQLITE_FULL: database or disk is full', () => true)
  a.disk.enqueue(B)
  a.relay?.wake(B)
  await cluster.run(10_000)
  // 200 ms doubling (half of it jittered): about seven attempts in 10 s, not one every 150 ms.
  const attempts = of('B').disk.arrivals.length
  t.ok(attempts <= 10, `${attempts} attempts in 10 s`)
  t.match(
    a.relay?.peers().find((p) => p.peer === B),
    { lastError: /delivered, not recorded: SQLITE_FULL/ }
  )
})

t.test('a batch stays within what a node reads of a request body', async (t) => {
  const { cluster, of } = await sites(t, ['A', 'B'])
  const a = of('A')
  const note = 'x'.repeat(2000)
  const sent = Array.from(
    { length: 80 },
    () => a.disk.enqueue('node-b', undefined, 't', { note }).id
  )
  const sizes: number[] = []
  const inbox = of('B').answer
  of('B').answer = (sender, message) => (
    sizes.push(Buffer.byteLength(JSON.stringify(message))),
    inbox(sender, message)
  )
  a.relay?.wake('node-b')
  await cluster.until(() => delivered(a.disk), 1000, 'the outbox drains')
  t.same(appliedFrom(of('B').disk, 'node-a'), sent)
  t.ok(sizes.length >= 3, `${sizes.length} batches`)
  t.ok(
    sizes.every((s) => s < 64 * 1024),
    `each under 64 KiB: ${sizes}`
  )
})

t.test('a message is sent the moment it is put in, never by polling', async (t) => {
  const { cluster, of } = await sites(t, ['A', 'B'])
  const a = of('A')
  const B = cluster.node('B').id
  a.disk.enqueue(B)
  // Nobody said anything was put in: a minute passes and it is not read.
  await cluster.run(60_000)
  t.notOk(delivered(a.disk), 'not sent without a wake')
  const reads = a.disk.reads
  a.relay?.wake(B)
  const ms = await cluster.until(() => delivered(a.disk), 1000, 'delivered after the wake')
  t.ok(ms <= 10, `delivered ${ms} ms after the wake (two legs of 1 ms)`)
  await cluster.run(1000)
  t.equal(a.disk.reads - reads, 1, 'one read: all it found delivered, the lane goes idle')
  // Another after a quiet spell: at once too.
  a.disk.enqueue(B)
  a.relay?.wake(B)
  t.ok((await cluster.until(() => delivered(a.disk), 1000, 'the second')) <= 10)
})

t.test('a wall clock set back never holds a message longer than the spacing', async (t) => {
  const { cluster, site, of } = await sites(t, ['A', 'B'])
  const a = of('A')
  const B = cluster.node('B').id
  const back = await relayWithClock(cluster, site, 'A')
  a.disk.enqueue(B)
  a.relay?.wake(B)
  await cluster.until(() => delivered(a.disk), 1000, 'the first')
  back.ms = 10 * 60_000
  a.disk.enqueue(B)
  a.relay?.wake(B)
  const ms = await cluster.until(() => delivered(a.disk), 60_000, 'the second')
  t.ok(ms <= DEFAULT_RELAY.spacingMs + 10, `delivered ${ms} ms after the wake`)
})

t.test('under a steady stream, what comes within the spacing goes in one exchange', async (t) => {
  const { cluster, of } = await sites(t, ['A', 'B'])
  const a = of('A')
  const B = cluster.node('B').id
  const batches: number[] = []
  const inbox = of('B').answer
  of('B').answer = (sender, message) => (
    batches.push(message.messages.length),
    inbox(sender, message)
  )
  // One message every 10 ms for a second, each woken as its commit would.
  const started = cluster.clock.now()
  const sentAt = new Map<string, number>()
  for (let i = 0; i < 100; i++) {
    sentAt.set(a.disk.enqueue(B).id, cluster.clock.now())
    a.relay?.wake(B)
    await cluster.run(10)
  }
  await cluster.until(() => delivered(a.disk), 1000, 'every message delivered')
  const elapsed = cluster.clock.now() - started
  t.ok(
    batches.length <= elapsed / DEFAULT_RELAY.spacingMs + 2,
    `${batches.length} exchanges in ${elapsed} ms: at most one per ${DEFAULT_RELAY.spacingMs} ms`
  )
  t.ok(Math.max(...batches) >= 3, `batches of ${batches}`)
  const waits = a.disk
    .rows(B)
    .map((r) => Date.parse(r.deliveredAt as string) - (sentAt.get(r.id) as number))
  t.ok(
    waits.every((w) => w <= DEFAULT_RELAY.spacingMs + 10),
    `each delivered within the spacing and a round trip: at most ${Math.max(...waits)} ms`
  )
  t.same(appliedFrom(of('B').disk, 'node-a'), [...sentAt.keys()], 'in order')
})

t.test(
  'a peer down is tried with growing back-off for ever, and at once when it is seen alive',
  async (t) => {
    const { cluster, site, of } = await sites(t, ['A', 'B', 'C'])
    const a = of('A')
    const B = cluster.node('B').id
    crash(cluster, site, 'B')
    const sent = [a.disk.enqueue(B).id, a.disk.enqueue(B).id]
    a.relay?.wake(B)
    await cluster.run(180_000)
    const attempts = cluster.net.traffic
      .map((m, i) => ({ ...m, i }))
      .filter((m) => m.path === TRANSFER_MESSAGES.path && m.leg === 'request')
    t.ok(attempts.length >= 8, `${attempts.length} attempts in 3 minutes`)
    const failures = a.disk.settlements.filter((s) => s.failed.length > 0)
    const times = failures.map((s) => Date.parse(s.failed[0].nextAttemptAt))
    const gaps = times.slice(1).map((at, i) => at - times[i])
    t.ok(
      gaps.every((g, i) => i === 0 || g >= gaps[i - 1] * 0.99 || g >= 15_000),
      `growing: ${gaps}`
    )
    t.ok(
      gaps.every((g) => g <= 30_000),
      'never more than 30 s apart'
    )
    t.ok((gaps.at(-1) as number) >= 15_000, 'backed off to the bound')
    t.ok(a.disk.rows(B).every((r) => r.attempts === failures.length && r.lastError))
    t.match(
      a.relay?.peers().find((p) => p.peer === B),
      { failures: failures.length, lastError: /refused/ }
    )

    // B comes back; the moment A's membership sees it alive, A's lane goes, back-off or not.
    let aliveAt = 0
    let waitLeft = 0
    cluster.node('A').membership.onChange(({ member }) => {
      if (member.id !== B || member.state !== 'alive' || aliveAt) return
      aliveAt = cluster.clock.now()
      const next = a.relay?.peers().find((p) => p.peer === B)?.nextAttemptAt
      waitLeft = next ? Date.parse(next) - aliveAt : 0
    })
    await cluster.start('B')
    await relay(cluster, site, 'B')
    await cluster.until(() => delivered(a.disk, B), 60_000, 'delivered once B is back')
    const deliveredAt = Date.parse(a.disk.rows(B)[0].deliveredAt as string)
    t.ok(aliveAt > 0, 'A saw B alive')
    t.ok(
      deliveredAt - aliveAt <= 10,
      `delivered ${deliveredAt - aliveAt} ms after B was seen alive`
    )
    t.ok(waitLeft > 1000, `instead of waiting out ${waitLeft} ms of back-off`)
    t.same(appliedFrom(of('B').disk, 'node-a'), sent)
    t.match(
      a.relay?.peers().find((p) => p.peer === B),
      { failures: 0, lastError: null }
    )
  }
)

t.test('a relay that duplicates, delays and reorders: each message applied once', async (t) => {
  const { cluster, of } = await sites(t, ['A', 'B'])
  const a = of('A')
  const B = cluster.node('B').id
  const random = seeded(42)
  const inbox = of('B').answer
  let copies = 0
  // In front of B's inbox: each request held 0-1.5 s (longer than A waits for an answer, so A
  // sends again meanwhile and a later copy overtakes an earlier one), a third of them twice.
  of('B').answer = (sender, message) => {
    const once = () =>
      new Promise<unknown>((resolve) => {
        cluster.clock.setTimeout(() => resolve(inbox(sender, message)), random() * 1500)
      })
    if (random() < 1 / 3) {
      copies++
      void once()
    }
    return once()
  }
  const sent: string[] = []
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 3; i++) sent.push(a.disk.enqueue(B, 'transfer.dispatched', `t${round}`).id)
    a.relay?.wake(B)
    await cluster.run(500)
  }
  await cluster.until(() => delivered(a.disk), 120_000, 'every message delivered')
  const applied = appliedFrom(of('B').disk, 'node-a')
  // Every batch starts at the oldest message not yet delivered: whatever overtakes what, the
  // inbox applies them in the order they were put in.
  t.same(applied, sent, 'applied in order')
  const firsts = of('B').disk.arrivals.map((x) => sent.indexOf(x.results[0].id))
  t.ok(
    firsts.some((first, i) => i > 0 && first < firsts[i - 1]),
    'an older batch arrived after a newer one'
  )
  const arrivals = of('B').disk.arrivals.flatMap((x) => x.results)
  t.ok(arrivals.length > sent.length, `${arrivals.length} arrivals of ${sent.length} messages`)
  t.ok(copies > 0, `${copies} requests delivered twice`)
  t.ok(
    a.disk.rows().some((r) => r.status === 'duplicate'),
    'some settled on a duplicate answer'
  )
})

t.test(
  'killed after the peer applied and before the delivery was recorded: sent again, answered duplicate',
  async (t) => {
    const { cluster, site, of } = await sites(t, ['A', 'B'])
    const a = of('A')
    const B = cluster.node('B').id
    const sent = [a.disk.enqueue(B).id, a.disk.enqueue(B).id, a.disk.enqueue(B).id]
    a.disk.beforeSettle = () => {
      a.disk.beforeSettle = null
      crash(cluster, site, 'A')
    }
    a.relay?.wake(B)
    await cluster.until(() => of('B').disk.applied.length === 3, 1000, 'B applies them')
    await cluster.run(5000)
    t.ok(
      a.disk.rows(B).every((r) => r.deliveredAt === null),
      'not recorded: A died first'
    )

    await cluster.start('A')
    await relay(cluster, site, 'A')
    await cluster.until(() => delivered(a.disk), 10_000, 'delivered after the restart')
    t.same(appliedFrom(of('B').disk, 'node-a'), sent, 'applied once')
    t.same(
      of('B').disk.arrivals.map((x) => x.results.map((r) => r.status)),
      [
        ['applied', 'applied', 'applied'],
        ['duplicate', 'duplicate', 'duplicate'],
      ]
    )
    t.ok(a.disk.rows().every((r) => r.status === 'duplicate'))
  }
)

t.test('a stopped relay abandons its attempt in flight and records nothing', async (t) => {
  const { cluster, site, of } = await sites(t, ['A', 'B'])
  const a = of('A')
  const B = cluster.node('B').id
  a.disk.enqueue(B)
  cluster.freeze('B')
  a.relay?.wake(B)
  await cluster.run(100)
  await a.relay?.close()
  cluster.thaw('B')
  await cluster.run(2000)
  t.equal(of('B').disk.applied.length, 1, 'B applied it when it thawed')
  t.same(a.disk.settlements, [], 'A recorded nothing after it stopped')
  await relay(cluster, site, 'A')
  await cluster.until(() => delivered(a.disk), 1000, 'the next start sends it again')
  t.equal(a.disk.rows()[0].status, 'duplicate')
  t.equal(of('B').disk.applied.length, 1)
})

t.test(
  'an answer that is not about the messages sent, or not signed, is never believed',
  async (t) => {
    const { cluster, site, of } = await sites(t, ['A', 'B'])
    const a = of('A')
    const B = cluster.node('B').id
    const [first] = [a.disk.enqueue(B), a.disk.enqueue(B)]
    const inbox = of('B').answer
    const lies: [string, Answerer][] = [
      [
        'a result missing',
        async (_s, m) => ({ results: [{ id: m.messages[0].id, status: 'applied' }] }),
      ],
      [
        'a stray result',
        async (_s, m) => ({
          results: [
            ...m.messages.map((x) => ({ id: x.id, status: 'applied' })),
            { id: 'x', status: 'applied' },
          ],
        }),
      ],
      [
        'a result twice',
        async (_s, m) => ({
          results: [...m.messages, m.messages[0]].map((x) => ({ id: x.id, status: 'applied' })),
        }),
      ],
      [
        'another shape',
        async (_s, m) => ({ results: m.messages.map((x) => ({ id: x.id, status: 'ok' })) }),
      ],
    ]
    for (const [what, lie] of lies) {
      of('B').answer = lie
      a.relay?.wake(B)
      await cluster.run(40_000)
      t.ok(
        a.disk.rows().every((r) => r.deliveredAt === null),
        `${what}: nothing recorded delivered`
      )
      t.match(a.disk.rows()[0].lastError, /bogus/, what)
    }
    // An impostor at B's address, without the cluster key: its answer is not signed.
    cluster.crash('B', { quietly: true })
    const impostor = cluster.net.transport('node-b', cluster.node('B').address, {
      cluster: 'other',
    })
    cluster.net.listen(impostor.address, async (_kind, _sender, m) => ({
      results: (m as TransferMessagesMessage).messages.map((x) => ({
        id: x.id,
        status: 'applied',
      })),
    }))
    await cluster.run(40_000)
    t.ok(
      a.disk.rows().every((r) => r.deliveredAt === null),
      'unsigned: nothing recorded delivered'
    )
    t.match(a.disk.rows()[0].lastError, /without a valid signature/)
    t.equal(of('B').disk.applied.length, 0)

    cluster.net.crash(impostor.address, { quietly: true })
    of('B').answer = inbox
    await cluster.start('B')
    await relay(cluster, site, 'B')
    await cluster.until(() => delivered(a.disk), 60_000, 'delivered once B answers truly')
    t.equal(first.id, appliedFrom(of('B').disk, 'node-a')[0])
    t.ok(a.disk.rows().every((r) => r.status === 'applied'))
  }
)

for (const way of ['requests', 'answers'] as const) {
  t.test(
    `a one-way partition losing the ${way}: delivered once healed, applied once`,
    async (t) => {
      const { cluster, of } = await sites(t, ['A', 'B', 'C'])
      const a = of('A')
      const B = cluster.node('B').id
      if (way === 'requests') cluster.partition(['A'], ['B'], { oneWay: true })
      else cluster.partition(['B'], ['A'], { oneWay: true })
      const sent = [a.disk.enqueue(B).id, a.disk.enqueue(B).id]
      a.relay?.wake(B)
      await cluster.run(30_000)
      t.ok(
        a.disk.rows().every((r) => r.deliveredAt === null && r.attempts >= 3),
        'tried, not delivered'
      )
      t.match(a.disk.rows()[0].lastError, /timeout/)
      t.same(appliedFrom(of('B').disk, 'node-a'), way === 'requests' ? [] : sent)
      cluster.heal()
      await cluster.until(() => delivered(a.disk), 40_000, 'delivered after the heal')
      t.same(appliedFrom(of('B').disk, 'node-a'), sent, 'applied once')
      t.equal(a.disk.rows()[0].status, way === 'requests' ? 'applied' : 'duplicate')
    }
  )
}

t.test(
  'a message for a node that is not a member waits, says why, and goes when it joins',
  async (t) => {
    const { cluster, site, of } = await sites(t, ['A', 'B'])
    const a = of('A')
    const message = a.disk.enqueue('node-x')
    // A wake naming no peer looks for the peers, not at their messages: under a backlog for a
    // peer cut off, reading them on each commit cost the worker most.
    const read: (string | undefined)[] = []
    const pending = a.disk.pending.bind(a.disk)
    a.disk.pending = (to, limit) => (read.push(to), pending(to, limit))
    a.relay?.wake()
    await cluster.run(60_000)
    t.notOk(read.includes(undefined), 'no message read but by its own lane')
    t.match(a.disk.rows()[0], {
      deliveredAt: null,
      attempts: 1,
      lastError: /node-x is not a member/,
    })
    t.match(
      a.relay?.peers().find((p) => p.peer === 'node-x'),
      { lastError: /not a member/ }
    )
    t.equal(cluster.net.traffic.filter((m) => m.path === TRANSFER_MESSAGES.path).length, 0)

    const x = new MemoryTransfers()
    site.set('X', { disk: x, answer: (sender, m) => x.inbox(sender, m.fromName, m.messages) })
    await cluster.start('X', ['B'])
    cluster
      .node('X')
      .routes.set(TRANSFER_MESSAGES, (sender, m) =>
        (site.get('X') as Site).answer(sender, m as TransferMessagesMessage)
      )
    await cluster.until(() => delivered(a.disk), 30_000, 'delivered once X is a member')
    t.same(appliedFrom(x, 'node-a'), [message.id])
  }
)

t.test('new messages for a peer that is down do not cut its back-off short', async (t) => {
  const { cluster, site, of } = await sites(t, ['A', 'B'])
  const a = of('A')
  const B = cluster.node('B').id
  crash(cluster, site, 'B')
  // 20 transfers a second for 10 s, each woken at once.
  for (let i = 0; i < 200; i++) {
    a.disk.enqueue(B)
    a.relay?.wake(B)
    await cluster.run(50)
  }
  const attempts = cluster.net.traffic.filter(
    (m) => m.path === TRANSFER_MESSAGES.path && m.leg === 'request'
  ).length
  t.ok(attempts <= 10, `${attempts} attempts in 10 s, not one per message`)
  t.ok(a.disk.rows(B).every((r) => r.deliveredAt === null))
})

t.test(
  'a message the peer refuses is delivered: its answer is final, and not asked again',
  async (t) => {
    const { cluster, of } = await sites(t, ['A', 'B'])
    const a = of('A')
    const B = cluster.node('B').id
    of('B').disk.refuse = (m) =>
      m.kind === 'transfer.cancel_requested'
        ? { code: 'ALREADY_RECEIVED', message: 'received before the cancel' }
        : undefined
    a.disk.enqueue(B, 'transfer.dispatched')
    a.disk.enqueue(B, 'transfer.cancel_requested')
    a.relay?.wake(B)
    await cluster.until(() => delivered(a.disk), 1000, 'both delivered')
    t.same(
      a.disk.rows().map((r) => r.status),
      ['applied', 'refused']
    )
    // Why is kept with it, for the transfer's story.
    const refusal = a.disk.settlements.flatMap((x) => x.delivered).find((d) => d.problem)
    t.match(refusal, { status: 'refused', problem: 'ALREADY_RECEIVED: received before the cancel' })
    await cluster.run(60_000)
    t.equal(of('B').disk.arrivals.length, 1, 'sent once')
    t.match(
      a.relay?.peers().find((p) => p.peer === B),
      { delivered: 2, refused: 1, failures: 0 },
      'counted apart, for GET /network/lanes and /metrics'
    )
  }
)

t.test(
  'an outbox that cannot be read (the worker restarting) is read again after a back-off',
  async (t) => {
    const { cluster, of } = await sites(t, ['A', 'B'])
    const a = of('A')
    const B = cluster.node('B').id
    const pending = a.disk.pending.bind(a.disk)
    let refusals = 0
    a.disk.pending = async (to, limit) => {
      if (refusals < 3) {
        refusals++
        throw new Error('The database worker is unavailable (restarting)')
      }
      return pending(to, limit)
    }
    a.disk.enqueue(B)
    a.relay?.wake(B)
    await cluster.run(50)
    t.match(
      a.relay?.peers().find((p) => p.peer === B),
      {
        lastError: /the outbox could not be read: The database worker is unavailable/,
      }
    )
    await cluster.until(() => delivered(a.disk), 5000, 'delivered once the outbox reads again')
    t.equal(refusals, 3)
    t.equal(appliedFrom(of('B').disk, 'node-a').length, 1)
  }
)

t.test('seen alive, then the outbox unreadable: the back-off still holds', async (t) => {
  const { cluster, of } = await sites(t, ['A', 'B'])
  const a = of('A')
  const B = cluster.node('B').id
  let reads = 0
  a.disk.pending = async () => {
    reads++
    throw new Error('The database worker is unavailable (restarting)')
  }
  a.relay?.wake(B)
  await cluster.run(1000)
  const before = reads
  // Membership hears B is alive (a refuted suspicion, say): one read at once, not a busy loop.
  const lanes = (a.relay as unknown as { lanes: Map<string, { alive(): void }> }).lanes
  lanes.get(B)?.alive()
  await cluster.run(1000)
  t.ok(reads - before <= 6, `${reads - before} reads in the second after, not a busy loop`)
})

t.test('a message too big for one request says so, since those after it wait', async (t) => {
  const { cluster, of } = await sites(t, ['A', 'B'])
  const a = of('A')
  const B = cluster.node('B').id
  const big = a.disk.enqueue(B, 'transfer.dispatched', 't', { lines: 'x'.repeat(70_000) })
  a.disk.enqueue(B)
  const inbox = of('B').answer
  // What a node answers to a body over what it reads (runtime/input.ts).
  of('B').answer = async (sender, message) => {
    if (Buffer.byteLength(JSON.stringify(message)) > 64 * 1024)
      throw new ProtocolError('BAD_REQUEST', 'Request body is larger than 65536 bytes')
    return inbox(sender, message)
  }
  a.relay?.wake(B)
  await cluster.run(5000)
  t.equal(of('B').disk.applied.length, 0, 'nothing overtakes it')
  t.match(
    a.disk.rows()[0].lastError,
    new RegExp(`message ${big.id} is 7\\d{4} bytes, more than one request carries`)
  )
  t.equal(a.disk.rows()[1].lastError, null, 'the one after it was never sent')
})

t.test(
  'a wake that comes as a look-over of the outbox ends is not lost: the outbox is read again',
  async (t) => {
    // The worker answers a batch's calls in one frame: the look-over's read and a write that put
    // a message in the outbox settle in one turn, and the write's wake comes right after.
    const reads: ((peers: string[]) => void)[] = []
    const store = {
      waiting: () => new Promise((resolve) => reads.push(resolve)),
      pending: () => new Promise(() => undefined), // the lanes' own reads: not what is tested
      settle: async () => undefined,
    }
    const relay = new Relay({
      identity: { id: 'self', name: 'Self' },
      membership: { snapshot: () => ({ members: [] }), onChange: () => () => undefined },
      transport: {},
      store,
      log: pino({ level: 'silent' }),
    } as never)
    await relay.open()
    t.equal(reads.length, 1, 'the outbox is looked over at open')
    ;(reads.shift() as (peers: string[]) => void)([])
    await Promise.resolve().then(() => relay.wake())
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
    t.equal(reads.length, 1, 'and once more after the wake')
    reads.shift()?.(['X'])
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
    t.same(
      relay.peers().map((p) => p.peer),
      ['X'],
      'which finds the message for X: a lane is opened for it'
    )
    await relay.close()
  }
)
