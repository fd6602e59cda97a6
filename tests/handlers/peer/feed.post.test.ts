import t from 'tap'
import handler, {
  GATHER_MS,
  HEAVY_GATHER_MS,
  HEAVY_PER_SECOND,
} from '../../../handlers/peer/feed.post.ts'
import type { FeedPage, FeedPageText } from '../../../db/contract/index.ts'
import type { Ctx } from '../../../runtime/index.ts'
import { errorFromCode } from '../../../runtime/errors.ts'
import { fakeCtx, refusal, request } from '../../fixtures/handler-kit.ts'

const genesis = { seq: 0, hash: '0'.repeat(64) }
const after = { events: 3, ledger: { seq: 1, hash: 'a'.repeat(64) } }
const body = { after, limit: 500, maxBytes: 1_000_000, waitMs: 0 }
const event = (seq: number) => ({
  seq,
  type: 'item.created' as const,
  subject: 'A',
  data: { sku: 'A' },
  createdAt: '2026-12-30T10:00:00.000Z',
})
const pageOf = (events: FeedPage['events'], head = 4): FeedPage => ({
  events,
  head: { events: head, ledger: after.ledger },
  upToDate: true,
})
/** The worker's events.feedText for what `read` gives (a page as its text), or its refusal. */
const asText = (read: () => FeedPage) => (): FeedPageText => {
  const page = read()
  return { text: JSON.stringify(page), events: page.events.length }
}

/**
 * An event hub whose log grows when the test says, and stops when it says; its head is `head`,
 * and its position (with the ledger's last row) `position`, unknown by default; growing by
 * `perSecond` events a second.
 */
function hub(head = after.events, position?: typeof after, perSecond = 0) {
  const stop = new AbortController()
  let grow = () => {}
  const waits: number[] = []
  const events: Partial<Ctx['events']> = {
    stopping: stop.signal,
    head: () => head,
    position: () => position,
    perSecond: () => perSecond,
    next: (seq, signal) =>
      new Promise<void>((resolve) => {
        waits.push(seq)
        grow = resolve
        signal?.addEventListener('abort', () => resolve(), { once: true })
      }),
  }
  return { events, waits, grow: () => grow(), stop: () => stop.abort() }
}

/** The handler's answer: the page's text, sent as the worker wrote it, read back. */
const call = async (ctx: Ctx, sent: unknown = body) => {
  const answer = await handler(request('POST', '/peer/feed', { body: sent }), ctx)
  t.equal(answer.headers.get('content-type'), 'application/json; charset=utf-8')
  return answer.json()
}

t.test('answers a page of the log after the position, with the head, at once', async (t) => {
  const ctx = {
    ...fakeCtx({ 'events.feedText': asText(() => pageOf([event(4)])) }),
    peer: 'node-b',
  }
  t.same(await call(ctx, { ...body, waitMs: 20_000, newerField: 1 }), pageOf([event(4)]))
  t.same(ctx.sent[0].payload, { after, limit: 500, maxBytes: 1_000_000 })
})

t.test('when the peer has everything, waits for the log to grow, then answers', async (t) => {
  const { events, waits, grow } = hub()
  let reads = 0
  const feed = () => (++reads === 1 ? pageOf([], 3) : pageOf([event(4)]))
  const ctx = { ...fakeCtx({ 'events.feedText': asText(feed) }, {}, events), peer: 'node-b' }
  const answer = call(ctx, { ...body, waitMs: 20_000 })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(waits, [3], 'it waits on the event hub for what comes after its position')
  grow()
  t.same(await answer, pageOf([event(4)]))
  t.equal(reads, 2)
})

t.test('exactly at the head this node knows: no read until the log grows', async (t) => {
  const { events, waits, grow } = hub(after.events, after)
  let reads = 0
  const feed = () => (++reads, pageOf([event(4)]))
  const ctx = { ...fakeCtx({ 'events.feedText': asText(feed) }, {}, events), peer: 'node-b' }
  const answer = call(ctx, { ...body, waitMs: 20_000 })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(waits, [3], 'it waits at once')
  t.equal(reads, 0, 'nothing read: there is nothing after the head')
  grow()
  t.same(await answer, pageOf([event(4)]))
  t.equal(reads, 1, 'one read, once the log grew')
})

t.test('at the head, a peer that goes away gets nothing read for it', async (t) => {
  const { events, waits } = hub(after.events, after)
  let reads = 0
  const ctx = {
    ...fakeCtx({ 'events.feedText': asText(() => (++reads, pageOf([]))) }, {}, events),
    peer: 'b',
  }
  const gone = new AbortController()
  const sent = { body: { ...body, waitMs: 20_000 }, signal: gone.signal }
  const answer = handler(request('POST', '/peer/feed', sent), ctx)
  await new Promise((resolve) => setImmediate(resolve))
  t.same(waits, [3], 'waiting at the head')
  gone.abort()
  await t.rejects(answer, { status: 499, code: 'CLIENT_CLOSED' })
  t.equal(reads, 0, 'no page read for nobody')
})

t.test('at the head by its events but on another ledger row: read at once', async (t) => {
  const { events, waits } = hub(after.events, {
    ...after,
    ledger: { seq: 1, hash: 'b'.repeat(64) },
  })
  const ctx = {
    ...fakeCtx(
      {
        'events.feedText': () => {
          throw errorFromCode('FORKED', 'The position asked for is not in this log')
        },
      },
      {},
      events
    ),
    peer: 'node-b',
  }
  await t.rejects(call(ctx, { ...body, waitMs: 20_000 }), { code: 'FORKED' })
  t.same(waits, [], 'a fork is told without waiting for the log to grow')
})

t.test('never waits past waitMs, and not at all once the node stops', async (t) => {
  const { events, stop } = hub()
  const ctx = {
    ...fakeCtx({ 'events.feedText': asText(() => pageOf([], 3)) }, {}, events),
    peer: 'node-b',
  }
  const started = Date.now()
  t.same(await call(ctx, { ...body, waitMs: 150 }), pageOf([], 3))
  const took = Date.now() - started
  t.ok(took >= 140 && took < 1000, `answered after ${took} ms, for 150 ms asked`)
  const held = call(ctx, { ...body, waitMs: 20_000 })
  await new Promise((resolve) => setTimeout(resolve, 20))
  const stopping = Date.now()
  stop()
  t.same(await held, pageOf([], 3))
  t.ok(Date.now() - stopping < 200, 'released at shutdown')
})

t.test(
  'a little behind (a stream of writes): what commits in the next GATHER_MS comes in one page',
  async (t) => {
    const { events } = hub(after.events + 2)
    let reads = 0
    const feed = () => (++reads, pageOf([event(4), event(5), event(6)], 6))
    const ctx = { ...fakeCtx({ 'events.feedText': asText(feed) }, {}, events), peer: 'node-b' }
    const started = Date.now()
    const answer = call(ctx)
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(reads, 0, 'two commits wait: it gathers before it reads')
    t.same(await answer, pageOf([event(4), event(5), event(6)], 6))
    t.equal(reads, 1, 'one read, after the gather')
    t.ok(Date.now() - started >= GATHER_MS - 5, 'after GATHER_MS')
  }
)

t.test(
  'under a heavy stream of writes, gathers end together, on a beat of the clock',
  async (t) => {
    const reads: string[] = []
    const ask = (who: string, perSecond: number) => {
      const { events } = hub(after.events + 2, undefined, perSecond)
      const read = { at: 0 }
      const feed = () => (reads.push(who), (read.at = Date.now()), pageOf([event(4), event(5)], 5))
      const ctx = { ...fakeCtx({ 'events.feedText': asText(feed) }, {}, events), peer: who }
      return { answer: call(ctx), read }
    }
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    // Just after a beat, two peers of a heavy stream ask 100 ms apart, and one of a lighter stream
    // with the second: it is read after GATHER_MS, before them; they, together, on the next beat.
    await sleep(HEAVY_GATHER_MS - (Date.now() % HEAVY_GATHER_MS) + 5)
    const beat = (Math.floor(Date.now() / HEAVY_GATHER_MS) + 1) * HEAVY_GATHER_MS
    const first = ask('first', HEAVY_PER_SECOND)
    await sleep(100)
    const second = ask('second', HEAVY_PER_SECOND)
    const light = ask('light', HEAVY_PER_SECOND - 1)
    for (const { answer } of [first, second, light]) {
      t.same(await answer, pageOf([event(4), event(5)], 5))
    }
    t.equal(reads[0], 'light', 'the lighter stream is read first, GATHER_MS after it asked')
    // Both wait for the same moment (timers keep the loop's clock, a few ms behind Date.now()).
    t.ok(Math.abs(first.read.at - second.read.at) < 50, 'the two peers are read together')
    t.ok(first.read.at >= beat - 10 && second.read.at >= beat - 10, 'on the beat')
  }
)

t.test('a page or more behind, it reads at once; a stop ends a gather at once', async (t) => {
  const behind = hub(after.events + body.limit)
  let reads = 0
  const feed = () => (++reads, pageOf([event(4)]))
  const catchingUp = call({
    ...fakeCtx({ 'events.feedText': asText(feed) }, {}, behind.events),
    peer: 'b',
  })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(reads, 1, 'catching up: no gather')
  await catchingUp

  const stopping = hub(after.events + 2)
  const gathering = call({
    ...fakeCtx({ 'events.feedText': asText(feed) }, {}, stopping.events),
    peer: 'b',
  })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(reads, 1, 'gathering')
  stopping.stop()
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(reads, 2, 'the stop ended the gather: read and answered')
  t.same(await gathering, pageOf([event(4)]))
})

t.test('passes on FORKED, refuses unsigned and malformed requests', async (t) => {
  const forked = refusal('FORKED', 'not in this log', { seq: 1, hash: null, head: genesis })
  const ctx = {
    ...fakeCtx({
      'events.feedText': () => {
        throw forked
      },
    }),
    peer: 'node-b',
  }
  await t.rejects(async () => call(ctx), { status: 409, code: 'FORKED', details: { seq: 1 } })
  await t.rejects(async () => call(fakeCtx()), { status: 401, code: 'UNAUTHENTICATED' })
  const signed = { ...fakeCtx(), peer: 'node-b' }
  for (const bad of [
    { ...body, limit: 0 },
    { ...body, waitMs: 60_000 },
    { ...body, after: { events: -1, ledger: genesis } },
    { limit: 1 },
  ]) {
    await t.rejects(async () => call(signed, bad), { status: 400, code: 'VALIDATION_FAILED' })
  }
  t.same(signed.sent, [], 'nothing reaches the worker')
})

t.test(
  'asked once the node is stopping: what the peer lacks at once; with everything, refused',
  async (t) => {
    const { events, stop } = hub()
    stop()
    // A heavy stream stopped with more than a page still to give: the peer gets it, with no wait.
    const pages = [pageOf([event(4)], 600), pageOf([], 600)]
    const ctx = {
      ...fakeCtx({ 'events.feedText': asText(() => pages.shift() ?? pageOf([])) }, {}, events),
      peer: 'node-b',
    }
    t.same(await call(ctx, { ...body, waitMs: 20_000 }), pageOf([event(4)], 600))
    // Once it has everything, refused, so it backs off rather than ask again at once.
    await t.rejects(call(ctx, { ...body, waitMs: 20_000 }), {
      status: 503,
      code: 'NODE_STOPPING',
      headers: { 'retry-after': '1' },
    })
    t.equal(ctx.sent.length, 2, 'one read each')
  }
)
