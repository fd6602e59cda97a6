import t from 'tap'
import type { DbClient } from '../../runtime/db-client.ts'
import { EventHub } from '../../runtime/event-hub.ts'

/** A DbClient stand-in: the head the log reports, and a way to send the worker's notice. */
function fakeDb(head: number) {
  let listener: ((head: number) => void) | undefined
  const db = {
    log: { head },
    onEvents(fn: (head: number) => void) {
      listener = fn
      return () => (listener = undefined)
    },
    async call() {
      const head = { events: db.log.head, ledger: { seq: 1, hash: 'a'.repeat(64) } }
      return { data: { events: [], head, upToDate: true }, replayed: false }
    },
  }
  return { db: db as unknown as DbClient & typeof db, notice: (h: number) => listener?.(h) }
}

const settled = (promise: Promise<unknown>) =>
  Promise.race([promise.then(() => true), new Promise((r) => setImmediate(r, false))])

t.test('waiters wake on the worker’s notice that the log grew past them, not before', async (t) => {
  const { db, notice } = fakeDb(5)
  const hub = new EventHub(db)
  await hub.open()
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
  const { db } = fakeDb(0)
  const hub = new EventHub(db)
  await hub.open()
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
    const { db } = fakeDb(3)
    const hub = new EventHub(db)
    await hub.open()
    const waiting = hub.next(3)
    db.log.head = 4 // committed by a worker that died before its notice
    t.equal(await settled(waiting), false)
    await hub.refresh()
    t.equal(await settled(waiting), true)
  }
)
