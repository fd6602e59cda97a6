// One puller on its own, with a transport and a store the test answers by hand: the orderings
// that the simulated cluster reaches only by chance.
import t from 'tap'
import { pino } from 'pino'
import type { LogEvent, Replica } from '../../../db/contract/index.ts'
import { ManualClock } from '../../../network/manual-clock.ts'
import type { FeedAnswer, LogPosition } from '../../../network/replication/messages.ts'
import { DEFAULT_PULL, positionAfter, Puller } from '../../../network/replication/puller.ts'
import type { PageToApply, ReplicaStore } from '../../../network/replication/store.ts'
import type { PeerOutcome, Transport } from '../../../network/transport/transport.ts'

/** A feed request the test has not answered yet. */
interface Asked {
  after: LogPosition
  waitMs: number
  answer(page: FeedAnswer): void
}

/** Lets every promise chain that can move, move (the puller awaits nothing the test holds). */
async function settle() {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

const event = (seq: number) => ({ seq, type: 'item.changed', data: null }) as unknown as LogEvent

function harness(gossip: { head?: LogPosition } = {}) {
  const asked: Asked[] = []
  const transport = {
    call: (call: { body: { after: LogPosition; waitMs: number } }) =>
      new Promise<PeerOutcome<FeedAnswer>>((resolve) =>
        asked.push({
          after: call.body.after,
          waitMs: call.body.waitMs,
          answer: (body) => resolve({ ok: true, body, rttMs: 1, responder: 'A' }),
        })
      ),
  } as unknown as Transport
  /** Applies the test has not let finish: each ends with the replica after its page. */
  const held: (() => void)[] = []
  let committed: Replica | undefined
  /** Set by a test to hold the store's reads until it lets them go. */
  const loading: { hold: Promise<void> | null } = { hold: null }
  const store: ReplicaStore = {
    load: async () => (await loading.hold, committed),
    apply: (page: PageToApply) =>
      new Promise((resolve) =>
        held.push(() => {
          committed = { state: 'catching_up', cursor: positionAfter(page.after, page) } as Replica
          resolve(committed)
        })
      ),
    break: async () => undefined,
    mend: async () => 'conflict',
  }
  const puller = new Puller({
    owner: () => ({ id: 'A', name: 'A', address: 'http://127.0.0.1:1' }),
    transport,
    store,
    clock: new ManualClock(),
    log: pino({ level: 'silent' }),
    timing: DEFAULT_PULL,
    gossipHead: () => gossip.head,
  })
  return { asked, held, puller, loading }
}

t.test('paused while its replica is read: the owner is not asked', async (t) => {
  const { asked, puller, loading } = harness()
  let release = () => undefined as void
  loading.hold = new Promise<void>((resolve) => (release = resolve))
  puller.resume()
  await settle()
  // Membership says the owner failed while the store answered.
  puller.pause('membership says A failed')
  release()
  await settle()
  t.equal(asked.length, 0, 'no request to a member declared failed')
  t.match(puller.status(), { following: false, lastError: 'membership says A failed' })
  puller.resume()
  await settle()
  t.equal(asked.length, 1, 'asked once it is alive again')
  puller.stop()
})

t.test(
  'resumed while it waits for its last apply after a pause: it asks again, with no second resume',
  async (t) => {
    const { asked, held, puller } = harness()
    puller.resume()
    await settle()
    t.equal(asked.length, 1, 'the first page is asked for')
    // Membership says the owner failed while the page is on its way; the page comes all the same.
    puller.pause('membership says A failed')
    const head = { events: 10, ledger: { seq: 0, hash: '0'.repeat(64) } }
    asked[0].answer({ events: [event(1)], head, upToDate: false })
    await settle()
    t.equal(held.length, 1, 'the page went to the store')
    // Paused, the puller waits for that apply before it sleeps; the owner is back meanwhile.
    puller.resume()
    held[0]()
    await settle()
    const last = asked.at(-1) as Asked
    t.ok(asked.length >= 3, `asked again once the apply ended (${asked.length} requests)`)
    t.same(last.after.events, 1, 'from what the store committed')
    puller.stop()
    last.answer({ events: [], head, upToDate: true })
    await settle()
  }
)

t.test(
  "a head gossip said before the owner's page said less is not believed over the page",
  async (t) => {
    // Signed under A's id by any key holder, or said by an A whose log was put back shorter.
    const position = (events: number) => ({ events, ledger: { seq: 0, hash: '0'.repeat(64) } })
    const gossip = { head: position(1_000_000_000) }
    const { asked, held, puller } = harness(gossip)
    puller.resume()
    await settle()
    t.same(
      asked.map((a) => a.waitMs),
      [0],
      'far behind, as far as it knows: asked at once'
    )
    asked[0].answer({ events: [event(1)], head: position(1), upToDate: true })
    await settle()
    held[0]()
    await settle()
    t.equal(asked.length, 2)
    t.equal(asked[1].waitMs, DEFAULT_PULL.waitMs, 'the owner said it has no more: a long poll')
    t.same(puller.status().knownHead, position(1), 'the page, not the head said before it')
    // A head said after the page is news, and believed when ahead.
    gossip.head = position(5)
    t.same(puller.status().knownHead, position(5))
    puller.stop()
    asked[1].answer({ events: [], head: position(1), upToDate: true })
    await settle()
  }
)
