import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import handler from '../../../../handlers/queues/[name]/receive.post.ts'
import { fakeCtx, request, settle } from '../../../fixtures/handler-kit.ts'
import type { Ctx } from '../../../../runtime/index.ts'

const delivered = {
  id: 'o-1',
  seq: 1,
  body: { order: 1 },
  headers: {},
  publishedAt: '2027-01-01T00:00:00.000Z',
  deliveries: 1,
  receipt: '1.abc',
  visibleUntil: '2027-01-01T00:00:30.000Z',
}

/** The log's side of a long poll: no event of it ever comes, and the node does not stop. */
const quietLog = {
  head: () => 0,
  next: () => new Promise<void>(() => undefined),
  stopping: new AbortController().signal,
}

/** A receive of up to 10 from `orders` that waits up to 20 s; `signal` is its client's. */
const longPoll = (ctx: Ctx, signal?: AbortSignal) =>
  handler(
    request('POST', '/queues/orders/receive', {
      params: { name: 'orders' },
      body: { max: 10, waitMs: 20_000 },
      signal,
    }),
    ctx
  ).then(settle)

/** A long poll under way: whether it has answered yet, and a wait until `done` holds or it has. */
function underWay(answering: Promise<unknown>) {
  let answered = false
  void answering.then(() => (answered = true))
  return {
    answered: () => answered,
    async until(done: () => boolean) {
      while (!done() && !answered) await new Promise((resolve) => setImmediate(resolve))
    },
  }
}

/** What `answering` came to within 10 s, or 'still waiting'. */
async function within10s(answering: Promise<unknown>) {
  const giveUp = new AbortController()
  const outcome = await Promise.race([
    answering,
    sleep(10_000, 'still waiting', { signal: giveUp.signal }),
  ])
  giveUp.abort()
  return outcome
}

t.test('a long poll does not miss a publish that lands while it looks at the queue', async (t) => {
  let peeks = 0
  const ctx = fakeCtx(
    {
      'queues.peek': () => {
        peeks++
        // The publish commits and wakes its waiters while this peek's answer is on its way.
        if (peeks === 1) ctx.queues.published('orders')
        return { ready: peeks > 1, nextVisibleAt: null }
      },
      'queues.receive': () => ({ messages: [delivered] }),
    },
    {},
    quietLog
  )
  const answering = longPoll(ctx)
  // Missed, the wait would last its 20 s; seen, it ends at once.
  t.not(await within10s(answering), 'still waiting', 'the wait saw the publish')
  t.match(await answering, { status: 200, body: { messages: [{ id: 'o-1' }] } })
  t.equal(peeks, 2, 'it looked again at once')
  t.same(
    ctx.sent.map((s) => s.op),
    ['queues.peek', 'queues.peek', 'queues.receive']
  )
})

t.test('a long poll whose client went away takes nothing', async (t) => {
  const ctx = fakeCtx(
    {
      'queues.peek': () => ({ ready: false, nextVisibleAt: null }),
      'queues.receive': () => ({ messages: [delivered] }),
    },
    {},
    quietLog
  )
  const client = new AbortController()
  const answering = longPoll(ctx, client.signal)
  await sleep(20)
  client.abort()
  t.not(await within10s(answering), 'still waiting', 'the wait ended when the client went')
  t.match(await answering, { status: 200, body: { messages: [] } })
  // A take here would hide its messages from every other consumer for their visibility timeout;
  // and no look at the queue once it has gone.
  t.same(
    ctx.sent.map((s) => s.op),
    ['queues.peek']
  )
})

t.test('with no wait, one receive and no peek', async (t) => {
  const ctx = fakeCtx({ 'queues.receive': () => ({ messages: [] }) })
  const { status, body } = await settle(
    await handler(
      request('POST', '/queues/orders/receive', { params: { name: 'orders' }, body: { max: 5 } }),
      ctx
    )
  )
  t.equal(status, 200)
  t.same(body, { messages: [] })
  t.same(
    ctx.sent.map((s) => [s.op, s.payload]),
    [['queues.receive', { queue: 'orders', max: 5, visibilityMs: undefined }]]
  )
})

t.test(
  'with acks: one write that acks and takes, at once; a wait with them is refused',
  async (t) => {
    const ctx = fakeCtx({
      'queues.ackAndReceive': () => ({ acked: [{ receipt: '1.abc', ok: true }], messages: [] }),
    })
    const receive = (body: object) =>
      handler(request('POST', '/queues/orders/receive', { params: { name: 'orders' }, body }), ctx)
        .then(settle)
        .catch((err: { status?: number; code?: string; details?: unknown }) => err)
    // A consumer that sent both would believe it waited, and ask again at once, again and again.
    t.match(await receive({ max: 5, waitMs: 20_000, ack: ['1.abc'] }), {
      status: 400,
      details: [{ path: 'waitMs', message: /cannot go with ack/ }],
    })
    t.same(ctx.sent, [], 'nothing acknowledged, nothing taken')
    const answer = await receive({ max: 5, ack: ['1.abc'] })
    t.match(answer, {
      status: 200,
      body: { messages: [], acked: [{ receipt: '1.abc', ok: true }] },
    })
    t.same(
      ctx.sent.map(({ op, payload }) => ({ op, payload })),
      [
        {
          op: 'queues.ackAndReceive',
          payload: { queue: 'orders', receipts: ['1.abc'], max: 5, visibilityMs: undefined },
        },
      ],
      'no peek, no wait'
    )
  }
)

t.test(
  'woken to take by a publish that brought nothing (refused, a duplicate), it waits on',
  async (t) => {
    let takes = 0
    let peeks = 0
    const ctx = fakeCtx(
      {
        'queues.peek': () => {
          peeks++
          return { ready: false, nextVisibleAt: null }
        },
        // The first publish is refused in the worker: its take finds nothing.
        'queues.receive': () => ({ messages: ++takes === 1 ? [] : [delivered] }),
      },
      {},
      quietLog
    )
    const answering = longPoll(ctx)
    const poll = underWay(answering)
    /** Until the wait has looked at the queue `n` times, or has answered. */
    const looked = (n: number) => poll.until(() => peeks >= n)
    await looked(1)
    ctx.queues.publishing('orders')
    await looked(2)
    // Without the wait going on, the answer would be this empty take, 20 s early.
    t.equal(poll.answered(), false, 'no answer from the empty take')
    t.equal(peeks, 2, 'it looked at the queue again, and waits')
    ctx.queues.publishing('orders')
    t.match(await answering, { status: 200, body: { messages: [{ id: 'o-1' }] } })
    t.same(
      ctx.sent.map((s) => s.op),
      ['queues.peek', 'queues.receive', 'queues.peek', 'queues.receive']
    )
  }
)

t.test('with an Idempotency-Key, the take that found nothing is the answer', async (t) => {
  let peeks = 0
  const ctx = fakeCtx(
    {
      'queues.peek': () => {
        peeks++
        return { ready: false, nextVisibleAt: null }
      },
      'queues.receive': () => ({ messages: [] }),
    },
    {},
    quietLog
  )
  const answering = handler(
    request('POST', '/queues/orders/receive', {
      params: { name: 'orders' },
      body: { max: 10, waitMs: 20_000 },
      headers: { 'idempotency-key': 'take-1' },
    }),
    ctx
  ).then(settle)
  while (peeks < 1) await new Promise((resolve) => setImmediate(resolve))
  ctx.queues.publishing('orders')
  // The key covers one write: that take is kept under it, and answered.
  t.match(await answering, { status: 200, body: { messages: [] } })
  t.same(
    ctx.sent.map((s) => s.op),
    ['queues.peek', 'queues.receive']
  )
})

t.test(
  'a message ready when it looks (visible again) but taken first by another consumer: it waits on',
  async (t) => {
    let takes = 0
    let peeks = 0
    const ctx = fakeCtx(
      {
        // The first look finds a message visible again; by the take, another consumer has it.
        'queues.peek': () => ({ ready: ++peeks === 1, nextVisibleAt: null }),
        'queues.receive': () => ({ messages: ++takes === 1 ? [] : [delivered] }),
      },
      {},
      quietLog
    )
    const answering = longPoll(ctx)
    const poll = underWay(answering)
    await poll.until(() => peeks >= 2)
    // Answering the empty take would have the consumer ask again at once, with all the others.
    t.equal(poll.answered(), false, 'no answer from the empty take')
    ctx.queues.publishing('orders')
    t.match(await answering, { status: 200, body: { messages: [{ id: 'o-1' }] } })
    t.same(
      ctx.sent.map((s) => s.op),
      ['queues.peek', 'queues.receive', 'queues.peek', 'queues.receive']
    )
  }
)
