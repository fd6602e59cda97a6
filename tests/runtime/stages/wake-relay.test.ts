import t from 'tap'
import type { Db } from '../../../runtime/index.ts'
import { errorFromCode } from '../../../runtime/errors.ts'
import { wakingRelay } from '../../../runtime/stages/wake-relay.ts'

/** A database answering each op with `reply`, and a relay recording its wakes. */
function setup(reply: (op: string, payload: any) => unknown) {
  const wakes: (string | undefined)[] = []
  let woken: () => void = () => undefined
  const relay = {
    wake(peer?: string) {
      wakes.push(peer)
      woken()
    },
    peers: () => [],
  }
  const db: Db = {
    send: async (op, payload) => reply(op, payload) as never,
    sendEach: async () => [],
  }
  // The wakes' timers do not hold the process up: this deadline does, until the wake comes.
  const next = () =>
    new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('no wake within 2 s')), 2000)
      woken = () => (clearTimeout(deadline), resolve())
    })
  return { wakes, relay, db: wakingRelay(db, relay, [5, 20]), next }
}

t.test('the relay is told after each transfer write, with the peer it concerns', async (t) => {
  const { wakes, db } = setup((op, payload) =>
    op === 'transfers.inbox' ? { results: [] } : { id: 't-1', peer: 'node-b', payload }
  )
  await db.send('transfers.create', {
    to: 'node-b',
    toName: 'B',
    lines: [{ sku: 'A', quantity: 1 }],
  })
  await db.send('transfers.receive', { id: 't-1', lines: [{ sku: 'A', received: 1 }], final: true })
  await db.send('transfers.inbox', { from: 'node-c', fromName: 'C', messages: [] as never })
  t.same(wakes, ['node-b', 'node-b', 'node-c'])
})

t.test('an inbox batch that put nothing in the outbox tells it nothing', async (t) => {
  let enqueued = false
  const { wakes, db } = setup(() => ({ results: [], enqueued }))
  const batch = { from: 'node-c', fromName: 'C', messages: [] as never }
  await db.send('transfers.inboxV2', batch)
  t.same(wakes, [], 'dispatches applied, nothing to answer by message')
  enqueued = true
  await db.send('transfers.inboxV2', batch)
  t.same(wakes, ['node-c'], 'a cancel answered: the relay carries the answer')
})

t.test('a read, another write, or a refused transfer write tells it nothing', async (t) => {
  const { wakes, db } = setup((op) => {
    if (op === 'transfers.cancel') throw errorFromCode('CONFLICT', 'already received')
    return { id: 't-1', peer: 'node-b' }
  })
  await db.send('transfers.get', { id: 't-1' })
  await db.send('items.get', { sku: 'A' })
  await t.rejects(db.send('transfers.cancel', { id: 't-1', reason: 'x' }), { code: 'CONFLICT' })
  t.same(wakes, [])
})

t.test('a write whose outcome is unknown tells it again once it may have committed', async (t) => {
  const { wakes, db, next } = setup(() => {
    throw errorFromCode('DB_TIMEOUT', 'The database did not answer within 5000 ms')
  })
  const first = next()
  await t.rejects(
    db.send('transfers.create', { to: 'node-b', toName: 'B', lines: [{ sku: 'A', quantity: 1 }] }),
    { code: 'DB_TIMEOUT' }
  )
  t.same(wakes, [], 'not at once: the commit, if any, has not happened yet')
  await first
  await next()
  t.same(wakes, ['node-b', 'node-b'])
})
