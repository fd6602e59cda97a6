import t from 'tap'
import type { DbClient } from '../../runtime/db-client.ts'
import { EventHub } from '../../runtime/event-hub.ts'

/** A DbClient stand-in: the head the log reports, and a way to send the worker's notice. */
function fakeDb(head: number) {
  type Listener = (head: number, ledger?: { seq: number; hash: string }) => void
  let listener: Listener | undefined
  const db = {
    log: { head },
    onEvents(fn: Listener) {
      listener = fn
      return () => (listener = undefined)
    },
    async call() {
      const head = { events: db.log.head, ledger: { seq: 1, hash: 'a'.repeat(64) } }
      return { data: { events: [], head, upToDate: true }, replayed: false }
    },
  }
  return {
    db: db as unknown as DbClient & typeof db,
    notice: (h: number, ledger?: { seq: number; hash: string }) => listener?.(h, ledger),
  }
}

/** An event hub opened on a fakeDb whose log's head is `head`, on the clock `now` if given. */
async function openHub(head: number, now?: () => number) {
  const fake = fakeDb(head)
  const hub = new EventHub(fake.db, now)
  await hub.open()
  return { ...fake, hub }
}

const settled = (promise: Promise<unknown>) =>
  Promise.race([promise.then(() => true), new Promise((r) => setImmediate(r, false))])

t.test('waiters wake on the worker’s notice that the log grew past them, not before', async (t) => {
  const { notice, hub } = await openHub(5)
  t.equal(hub.head(), 5, 'the head read from the log at start')
  t.equal(await settled(hub.next(4)), true, 'something after 4 is there already')
  const after5 = hub.next(5)
  const after7 = hub.next(7)
  notice(6)
  t.equal(await settled(after5), true)
  t.equal(await settled(after7), false, 'a notice of 6 does not wake a wait for after 7')
  notice(6) // a repeated notice changes nothing
  notice(8)
  t.equal(await settled(after7), true)
  t.equal(hub.head(), 8)
})

t.test('a waiter’s own signal, and the node stopping, end the wait', async (t) => {
  const { hub } = await openHub(0)
  const gone = new AbortController()
  const client = hub.next(0, gone.signal)
  const other = hub.next(0)
  gone.abort()
  t.equal(await settled(client), true, 'the client went away')
  t.equal(await settled(other), false)
  t.equal(hub.stopping.aborted, false)
  await hub.close()
  t.equal(await settled(other), true, 'the node stops')
  t.equal(hub.stopping.aborted, true)
  t.equal(await settled(hub.next(0)), true, 'a stopped hub keeps nobody waiting')
})

t.test(
  'refresh reads the head from the log: a commit whose notice was lost is found',
  async (t) => {
    const { db, hub } = await openHub(3)
    const waiting = hub.next(3)
    db.log.head = 4 // committed by a worker that died before its notice
    t.equal(await settled(waiting), false)
    await hub.refresh()
    t.equal(await settled(waiting), true)
  }
)

t.test('the position peers replicate from: the log head with the ledger’s last row', async (t) => {
  const { notice, hub } = await openHub(5)
  t.same(hub.position(), { events: 5, ledger: { seq: 1, hash: 'a'.repeat(64) } }, 'read at start')
  notice(7, { seq: 3, hash: 'c'.repeat(64) })
  t.same(hub.position(), { events: 7, ledger: { seq: 3, hash: 'c'.repeat(64) } })
  notice(8) // an item change: the ledger stands where it was
  t.same(hub.position(), { events: 8, ledger: { seq: 3, hash: 'c'.repeat(64) } })
})

t.test('how fast the log grows: over each second or more, its quiet time counted', async (t) => {
  let now = 0
  const { notice, hub } = await openHub(100, () => now)
  t.equal(hub.perSecond(), 0, 'the log as it stood at start is no growth')
  notice(600)
  now = 500
  t.equal(hub.perSecond(), 0, 'not measured before a second has passed')
  now = 1000
  notice(1600) // measured at this notice: 500 events in the second before it
  t.equal(hub.perSecond(), 500)
  now = 2000
  t.equal(hub.perSecond(), 1000, 'the 1,000 of the next second')
  now = 6000
  t.equal(hub.perSecond(), 0, 'four quiet seconds')
  notice(1700)
  now = 16_000
  t.equal(hub.perSecond(), 10, '100 events in 10 s')
})

t.test(
  'a page asked for while the same page is read is that read: one trip to the worker',
  async (t) => {
    const { db, hub } = await openHub(10)
    const asked: unknown[] = []
    const answers: ((text: string) => void)[] = []
    db.call = ((op: string, payload: unknown) => {
      asked.push(payload)
      return new Promise((resolve) =>
        answers.push((text) => resolve({ data: { text, events: 1 }, replayed: false }))
      )
    }) as typeof db.call
    const at = (events: number) => ({
      after: { events, ledger: { seq: 1, hash: 'a'.repeat(64) } },
      limit: 500,
      maxBytes: 1000,
    })
    const first = hub.pageText(at(5))
    const same = hub.pageText(at(5))
    const other = hub.pageText(at(6))
    t.equal(asked.length, 2, 'the same position twice: one read; another position: its own')
    answers[0]('five')
    answers[1]('six')
    t.same(await Promise.all([first, same, other]), [
      { text: 'five', events: 1 },
      { text: 'five', events: 1 },
      { text: 'six', events: 1 },
    ])
    const later = hub.pageText(at(5))
    t.equal(asked.length, 3, 'asked again once read: read again (the log may have grown)')
    answers[2]('five again')
    t.same(await later, { text: 'five again', events: 1 })
  }
)

t.test(
  'a stop waits for the peers that follow the log to ask from its head, and no longer',
  async (t) => {
    let now = 0
    const { notice, hub } = await openHub(10, () => now)
    hub.asked('c', 8)
    now = 40_000
    hub.asked('b', 10)
    hub.asked('d', 10)
    // c, behind, asked 40 s ago: it no longer follows, and is not waited for.
    t.equal(await settled(hub.peersCaughtUp(5000)), true, 'every recent ask was from the head')
    notice(12)
    const waiting = hub.peersCaughtUp(5000)
    t.equal(await settled(waiting), false, 'the log grew: b and d hold 10 of 12')
    const waiter = hub.next(12)
    hub.release()
    t.equal(await settled(waiter), true, 'released: every wait ends, so the feeds answer')
    t.equal(hub.stopping.aborted, true)
    hub.asked('b', 12)
    t.equal(await settled(waiting), false, 'd still holds 10')
    hub.asked('d', 12)
    t.equal(await settled(waiting), true, 'both asked from the head')
    notice(13) // the head is still followed after release
    t.equal(hub.head(), 13)
    const following = (peer: string) => peer !== 'b'
    const alive = hub.peersCaughtUp(5000, following)
    t.equal(await settled(alive), false, 'd, which membership sees alive, holds 12 of 13')
    hub.asked('d', 13)
    t.equal(await settled(alive), true, 'b holds 12 but is gone (left, failed): not waited for')
    const bounded = Date.now()
    await hub.peersCaughtUp(50)
    t.ok(
      Date.now() - bounded >= 45,
      'a peer that never asks again is waited for no longer than said'
    )
    await hub.close()
  }
)
