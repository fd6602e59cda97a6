import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { Router } from 'zeromq'
import {
  type FeedPage,
  type FeedPageText,
  type ReplyEnvelope,
  type RequestEnvelope,
} from '../../db/contract/index.ts'
import { GENESIS_HASH } from '../../db/ledger/hash.ts'
import { openDatabase, serve } from '../../db/worker-loop.ts'
import { DbClient } from '../../runtime/db-client.ts'

type Answer = (envelope: RequestEnvelope) => ReplyEnvelope[]

/** A stand-in worker: a Router that answers each envelope with the replies given (none: silence). */
async function fakeWorker(t: { teardown(fn: () => unknown): void }, answer: Answer) {
  const endpoint = `ipc://${path.join(tmpdir(), `almacen-test-${process.pid}-${Math.random().toString(36).slice(2)}.ipc`)}`
  const router = new Router({ mandatory: true, linger: 0 })
  await router.bind(endpoint)
  const held: [Buffer, ReplyEnvelope][] = []
  void (async () => {
    for await (const [sender, frame] of router) {
      // A frame holds one envelope or an array of them, sent together.
      const got = JSON.parse(frame.toString())
      for (const envelope of Array.isArray(got) ? got : [got]) {
        for (const reply of answer(envelope)) held.push([sender, reply])
      }
      // Answer in reverse order of arrival within each burst, to prove replies are matched by id.
      await new Promise((resolve) => setImmediate(resolve))
      while (held.length) {
        const [to, out] = held.pop() as [Buffer, ReplyEnvelope]
        await router.send([to, JSON.stringify(out)])
      }
    }
  })().catch(() => undefined)
  t.teardown(() => {
    router.close()
    rmSync(endpoint.slice('ipc://'.length), { force: true })
  })
  return endpoint
}

function client(
  t: { teardown(fn: () => unknown): void },
  endpoint: string,
  opts: { timeoutMs?: number; maxInFlight?: number } = {}
) {
  const db = new DbClient({
    log: pino({ level: 'silent' }),
    timeoutMs: opts.timeoutMs ?? 2000,
    maxInFlight: opts.maxInFlight ?? 100,
  })
  db.connect(endpoint)
  t.teardown(() => db.disconnect('test over'))
  return db
}

const echo: Answer = (e) => [{ v: 1, id: e.id, ok: true, data: e.payload }]

t.test('keeps many calls in flight and gives each caller its own reply', async (t) => {
  const db = client(t, await fakeWorker(t, echo))
  const replies = await Promise.all(
    Array.from({ length: 50 }, (_, i) => db.call('items.get', { sku: `S${i}` }))
  )
  t.same(
    replies.map((r) => r.data),
    Array.from({ length: 50 }, (_, i) => ({ sku: `S${i}` }))
  )
  t.equal(db.inFlight, 0)
})

t.test(
  'sends the idempotency key and a deadline, and turns refusals into HTTP errors',
  async (t) => {
    const seen: RequestEnvelope[] = []
    const endpoint = await fakeWorker(t, (e) => {
      seen.push(e)
      const error = {
        code: 'INSUFFICIENT_STOCK' as const,
        message: 'short by 2',
        details: { shortfall: 2 },
      }
      return [{ v: 1, id: e.id, ok: false, replayed: true, error }]
    })
    const db = client(t, endpoint)
    const before = Date.now()
    await t.rejects(
      db.call(
        'movements.record',
        { type: 'issue', sku: 'A', quantity: 3 },
        { key: 'k-1', timeoutMs: 1000 }
      ),
      {
        status: 409,
        code: 'INSUFFICIENT_STOCK',
        message: 'short by 2',
        details: { shortfall: 2 },
        replayed: true,
      }
    )
    t.match(seen[0], { v: 1, op: 'movements.record', key: 'k-1' })
    t.ok(
      seen[0].deadline >= before + 1000 && seen[0].deadline <= Date.now() + 1000,
      'the deadline is the caller timeout'
    )
  }
)

t.test(
  'a call that gets no reply fails with 504 at its timeout; a late reply is dropped',
  async (t) => {
    let late: RequestEnvelope | undefined
    const endpoint = await fakeWorker(t, (e) => {
      if (e.op === 'ledger.verify') {
        late = e
        return []
      }
      return late ? [{ v: 1, id: late.id, ok: true, data: 'late' }, ...echo(e)] : echo(e)
    })
    const db = client(t, endpoint, { timeoutMs: 100 })
    await t.rejects(db.call('ledger.verify', {}), { status: 504, code: 'DB_TIMEOUT' })
    // The worker now sends the stale reply alongside a fresh one: only the fresh one is delivered.
    t.same((await db.call('items.get', { sku: 'B' })).data, { sku: 'B' })
  }
)

t.test(
  'fails calls in flight with 503 when the worker goes away, and new calls at once',
  async (t) => {
    const db = client(t, await fakeWorker(t, () => []))
    const read = db.call('stock.get', { sku: 'A' })
    const receipt = { type: 'receipt', sku: 'A', quantity: 1 } as const
    const write = db.call('movements.record', receipt, { key: 'r-1' })
    const unkeyed = db.call('movements.record', receipt)
    db.disconnect('worker exited with SIGKILL')
    await t.rejects(write, {
      status: 503,
      code: 'DB_UNAVAILABLE',
      message:
        /SIGKILL; a write in flight may or may not have been applied\); retry with the same Idempotency-Key$/,
    })
    // Sent with no key, a second one would be applied too: it is looked for first.
    await t.rejects(unkeyed, {
      status: 503,
      message:
        /applied\); look whether it was applied before sending it again \(a write sent with an Idempotency-Key can simply be retried\)$/,
    })
    // A read changed nothing: it is simply asked again, no key to keep.
    await t.rejects(read, {
      status: 503,
      message: 'The database worker is unavailable (worker exited with SIGKILL); retry shortly',
    })
    await t.rejects(db.call('stock.get', { sku: 'A' }), { status: 503, code: 'DB_UNAVAILABLE' })
    // Once the link is down, nothing is sent: a write was not applied, and is simply sent again.
    await t.rejects(db.call('movements.record', receipt), {
      status: 503,
      message:
        'The database worker is unavailable (the database worker is not running); retry shortly',
    })
  }
)

t.test(
  'refuses calls beyond its in-flight bound with 503 instead of queueing without end',
  async (t) => {
    const db = client(t, await fakeWorker(t, () => []), { maxInFlight: 2, timeoutMs: 5000 })
    const held = [db.call('node.ping', {}), db.call('node.ping', {})]
    await t.rejects(db.call('node.ping', {}), { status: 503, code: 'DB_BUSY' })
    db.disconnect('test over')
    await Promise.allSettled(held)
  }
)

t.test('calls made in one turn of the event loop leave in one frame', async (t) => {
  const frames: unknown[] = []
  const endpoint = await fakeWorker(t, (e) => [{ v: 1, id: e.id, ok: true, data: e.payload }])
  const spy = new Router({ mandatory: true, linger: 0 })
  const spyEndpoint = endpoint.replace(/\.ipc$/, '-spy.ipc')
  await spy.bind(spyEndpoint)
  t.teardown(() => spy.close())
  void (async () => {
    for await (const [sender, frame] of spy) {
      const got = JSON.parse(frame.toString())
      frames.push(got)
      const replies = (Array.isArray(got) ? got : [got]).map((e) => ({
        v: 1,
        id: e.id,
        ok: true,
        data: e.payload,
      }))
      await spy.send([sender, JSON.stringify(replies)])
    }
  })().catch(() => undefined)
  const db = client(t, spyEndpoint)
  const replies = await Promise.all(
    Array.from({ length: 5 }, (_, i) => db.call('stock.get', { sku: `S${i}` }))
  )
  t.same(
    replies.map((r) => r.data),
    Array.from({ length: 5 }, (_, i) => ({ sku: `S${i}` })),
    'replies that come back in one frame reach their callers'
  )
  t.equal(frames.length, 1)
  t.equal((frames[0] as unknown[]).length, 5)
  const single = await db.call('stock.get', { sku: 'ALONE' })
  t.same(single.data, { sku: 'ALONE' })
  t.match(
    frames[1],
    { op: 'stock.get', payload: { sku: 'ALONE' } },
    'one call alone is a plain envelope'
  )
})

t.test('a notice from the worker reaches every events listener and settles no call', async (t) => {
  const notice = (head: number) => ({ v: 1, notice: 'events', head }) as unknown as ReplyEnvelope
  // The stand-in worker tells the log's head after answering, as the real one does.
  let head = 0
  const endpoint = await fakeWorker(t, (e) =>
    e.op === 'items.create' ? [notice(++head), ...echo(e)] : echo(e)
  )
  const db = client(t, endpoint)
  const first: number[] = []
  const second: number[] = []
  db.onEvents(() => {
    throw new Error('a broken listener')
  })
  const stop = db.onEvents((h) => first.push(h))
  db.onEvents((h) => second.push(h))
  const reply = await db.call('items.create', { sku: 'A', name: 'A', unit: 'ea' })
  t.same(reply.data, { sku: 'A', name: 'A', unit: 'ea' }, 'the call gets its own reply')
  await db.call('node.ping', {}) // the notice was sent before this reply
  t.same([first, second], [[1], [1]])
  stop()
  await db.call('items.create', { sku: 'B', name: 'B', unit: 'ea' })
  await db.call('node.ping', {})
  t.same([first, second], [[1], [1, 2]], 'an unsubscribed listener hears no more')
  t.equal(db.inFlight, 0)
})

t.test(
  'writesSettled waits for the writes in flight, not the reads, and no longer than asked',
  async (t) => {
    // A worker that never answers: calls leave `pending` only when they time out or are cut off.
    const db = client(t, await fakeWorker(t, () => []))
    const settledAt = async (timeoutMs: number) => {
      const started = Date.now()
      await db.writesSettled(timeoutMs)
      return Date.now() - started
    }
    const read = db.call('items.get', { sku: 'S1' }, { timeoutMs: 5000 }).catch(() => undefined)
    t.ok((await settledAt(5000)) < 1000, 'a read in flight is not waited for')
    const write = db
      .call('items.create', { sku: 'S2', name: 'Rope', unit: 'm' }, { timeoutMs: 300 })
      .catch((err: Error) => err)
    const waited = await settledAt(5000)
    t.match(await write, { code: 'DB_TIMEOUT' })
    t.ok(waited >= 250 && waited < 3000, 'waited until the write left (its timeout here)')
    const cut = db.call('items.create', { sku: 'S3', name: 'Rope', unit: 'm' }, { timeoutMs: 5000 })
    cut.catch(() => undefined)
    t.ok((await settledAt(100)) >= 95, 'a write that stays: no longer than asked')
    db.disconnect('test over')
    await read
  }
)

t.test(
  "a feed page reaches the caller as the worker wrote it, its bytes, beside its frame's other replies",
  async (t) => {
    // The real worker loop on a database in memory: a feed page's text travels in a frame of its
    // own (FramedText), never escaped into the replies' JSON nor parsed out of it.
    const log = pino({ level: 'silent' })
    const { knex } = await openDatabase(':memory:', 'Norte', log)
    const endpoint = `ipc://${path.join(tmpdir(), `almacen-test-${process.pid}-feed.ipc`)}`
    const loop = await serve(endpoint, knex, log)
    t.teardown(async () => {
      await loop.stop(false)
      await knex.destroy()
      rmSync(endpoint.slice('ipc://'.length), { force: true })
    })
    const db = client(t, endpoint)
    // Quotes, a backslash and a non-ASCII letter: what escaping into JSON, or decoding, would change.
    await db.call('items.create', { sku: 'CAÑA', name: 'Caña "de" pescar \\ 2 m', unit: 'ea' })
    await db.call('movements.record', { type: 'receipt', sku: 'CAÑA', quantity: 7 })
    const asked = {
      after: { events: 0, ledger: { seq: 0, hash: GENESIS_HASH } },
      limit: 100,
      maxBytes: 1_000_000,
    }
    // Asked in one turn: one frame out, one frame of replies back, the page's text after it.
    const [text, page, info, again] = await Promise.all([
      db.call('events.feedText', asked),
      db.call('events.feed', asked),
      db.call('node.info', {}),
      db.call('events.feedText', { ...asked, limit: 1 }),
    ])
    const { text: bytes, events } = text.data as FeedPageText
    t.ok(Buffer.isBuffer(bytes), 'the text comes as bytes')
    t.same(JSON.parse(String(bytes)), page.data, 'the same page as events.feed gives')
    t.equal(events, (page.data as FeedPage).events.length)
    t.match(info.data, { name: 'Norte', counts: { movements: 1, items: 1 } }, 'the others intact')
    const first = again.data as FeedPageText
    t.same(
      JSON.parse(String(first.text)).events,
      (page.data as FeedPage).events.slice(0, 1),
      'two pages in one frame: each gets its own text'
    )
    t.equal(first.events, 1)
  }
)

t.test(
  'a reply that names a text frame which did not come fails its call, and no other',
  async (t) => {
    // A stand-in worker that answers a burst in one frame, as the real one does, with no text
    // frame after it: the feed page's reply names one all the same.
    const endpoint = `ipc://${path.join(tmpdir(), `almacen-test-${process.pid}-noframe.ipc`)}`
    const router = new Router({ mandatory: true, linger: 0 })
    await router.bind(endpoint)
    t.teardown(() => {
      router.close()
      rmSync(endpoint.slice('ipc://'.length), { force: true })
    })
    void (async () => {
      for await (const [sender, frame] of router) {
        const got = JSON.parse(frame.toString())
        const replies = (Array.isArray(got) ? got : [got]).map((e: RequestEnvelope) =>
          e.op === 'events.feedText'
            ? { v: 1, id: e.id, ok: true, data: { events: 1 }, textFrame: 1 }
            : echo(e)[0]
        )
        await router.send([sender, JSON.stringify(replies)])
      }
    })().catch(() => undefined)
    const db = client(t, endpoint)
    const asked = {
      after: { events: 0, ledger: { seq: 0, hash: GENESIS_HASH } },
      limit: 1,
      maxBytes: 1,
    }
    // Asked in one turn: both replies come back in the same frame.
    const [feed, item] = await Promise.allSettled([
      db.call('events.feedText', asked),
      db.call('items.get', { sku: 'S1' }),
    ])
    t.match(feed, {
      status: 'rejected',
      reason: { code: 'INTERNAL', message: /names text frame 1, which did not come/ },
    })
    t.match(
      item,
      { status: 'fulfilled', value: { data: { sku: 'S1' } } },
      'its sibling is answered'
    )
    t.same((await db.call('items.get', { sku: 'S2' })).data, { sku: 'S2' }, 'the client goes on')
  }
)
