// The worker's socket loop with a real worker process: what it sends the runtime unasked.
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { DbClient } from '../../runtime/db-client.ts'
import { WorkerSupervisor } from '../../runtime/worker-supervisor.ts'

const log = pino({ level: 'silent' })

interface TestLike {
  testdir(): string
  teardown(fn: () => unknown): void
}

async function worker(t: TestLike) {
  const socket = path.join(
    tmpdir(),
    `almacen-w-${process.pid}-${Math.random().toString(36).slice(2)}.ipc`
  )
  t.teardown(() => rmSync(socket, { force: true }))
  const endpoint = `ipc://${socket}`
  const supervisor = new WorkerSupervisor({
    settings: { endpoint, dataDir: t.testdir(), name: 'Noticed', logLevel: 'silent' },
    log,
    onReady: () => {},
    onDown: () => {},
  })
  await supervisor.start()
  t.teardown(() => supervisor.stop())
  return endpoint
}

/** A runtime's link to the worker, and every event head it was told, in order. */
function runtime(t: TestLike, endpoint: string) {
  const db = new DbClient({ log, timeoutMs: 5000, maxInFlight: 100 })
  db.connect(endpoint)
  t.teardown(() => db.disconnect('test over'))
  const heard: number[] = []
  const waiting: ((head: number) => void)[] = []
  db.onEvents((head) => {
    heard.push(head)
    waiting.splice(0).forEach((resolve) => resolve(head))
  })
  /** The next head told, within a bounded wait (no polling: the listener resolves it). */
  const next = () =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no notice within 5 s')), 5000)
      waiting.push((head) => {
        clearTimeout(timer)
        resolve(head)
      })
    })
  return { db, heard, next }
}

t.test(
  'after a commit that appended events, every runtime heard from is told the head, unasked',
  async (t) => {
    const endpoint = await worker(t)
    const a = runtime(t, endpoint)
    const b = runtime(t, endpoint)
    await b.db.call('node.ping', {}) // the worker knows a runtime once it has heard from it

    const [toA, toB] = [a.next(), b.next()]
    await a.db.call('items.create', { sku: 'A', name: 'A', unit: 'ea' })
    t.same(await Promise.all([toA, toB]), [1, 1], 'both runtimes, not only the writer')

    // Reads and refused writes append nothing: no notice. Any would come before the next reply.
    await a.db.call('stock.get', { sku: 'A' })
    const refused = a.db.call('movements.record', { type: 'issue', sku: 'A', quantity: 5 })
    await t.rejects(refused, { code: 'INSUFFICIENT_STOCK' })
    await a.db.call('node.ping', {})
    t.same(a.heard, [1])

    const toA2 = a.next()
    const receipts = Array.from({ length: 20 }, () =>
      a.db.call('movements.record', { type: 'receipt', sku: 'A', quantity: 1 })
    )
    await Promise.all(receipts)
    await a.db.call('node.ping', {})
    await toA2
    const told = a.heard.slice(1)
    t.ok(
      told.every((head, i) => i === 0 || head > told[i - 1]),
      `one notice per batch, each further on (${told.join(', ')})`
    )
    t.equal(told.at(-1), 21, 'the last notice carries the last seq')

    // A runtime that went away is forgotten; the others are still told.
    b.db.disconnect('restarted')
    const toA3 = a.next()
    await a.db.call('items.update', { sku: 'A', patch: { name: 'A 2' } })
    t.equal(await toA3, 22)
    const { data } = await a.db.call('events.list', { after: 20, limit: 10 })
    t.match(data, {
      events: [
        { seq: 21, type: 'movement.recorded' },
        { seq: 22, type: 'item.updated', data: { name: 'A 2' } },
      ],
      head: 22,
    })
  }
)
