// The event log over HTTP, as a browser or a script follows it: a page at a time, and live as
// server-sent events that resume from the last id seen, through a real node.
import t from 'tap'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { nodeFetch, tokenOf } from '../fixtures/tokens.ts'
import { STREAM_LIMITS } from '../../handlers/_shared/event-stream.ts'

interface Sse {
  id: number
  event: string
  data: { seq: number; type: string; subject: string }
}

/** Follows GET /events/stream; `take(n)` waits (bounded) for the next n events. */
async function follow(url: string, headers: Record<string, string> = {}) {
  const aborter = new AbortController()
  const response = await nodeFetch(url, { headers, signal: aborter.signal })
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffered = ''
  const seen: Sse[] = []
  let ended = false
  // What an `end` event said: why the node ended the stream.
  let endedWith: { error: string; message: string } | undefined
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: '', done: true }))
      if (done) return void (ended = true)
      buffered += value
      let end
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end)
        buffered = buffered.slice(end + 2)
        const field = (name: string) =>
          block
            .split('\n')
            .find((l) => l.startsWith(`${name}: `))
            ?.slice(name.length + 2)
        const id = field('id')
        if (field('event') === 'end') endedWith = JSON.parse(field('data')!)
        else if (id !== undefined) {
          seen.push({ id: Number(id), event: field('event')!, data: JSON.parse(field('data')!) })
        }
      }
    }
  })()
  return {
    response,
    seen,
    ended: () => ended,
    endedWith: () => endedWith,
    /** Waits (bounded) until the node has ended the stream. */
    async end(within = 20_000) {
      const deadline = Date.now() + within
      while (!ended && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return endedWith
    },
    async take(n: number, within = 5000): Promise<Sse[]> {
      const deadline = Date.now() + within
      while (seen.length < n && !ended && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return seen.slice(0, n)
    },
    close: async () => {
      aborter.abort()
      await pump
    },
  }
}

const receipt = (sku: string, quantity: number) => ({ type: 'receipt', sku, quantity }) as const

t.test('the stream carries every committed change, in order, as it happens', async (t) => {
  const node = await startTestNode(t)
  const stream = await follow(`${node.url}/events/stream?after=0`)
  t.teardown(stream.close)
  t.equal(stream.response.headers.get('content-type'), 'text/event-stream; charset=utf-8')
  await api(node, 'POST', '/items', { sku: 'BOLT-M8', name: 'Bolt', unit: 'ea' })
  for (const quantity of [5, 6, 7]) {
    await api(node, 'POST', '/movements', receipt('BOLT-M8', quantity))
  }
  const refused = await api(node, 'POST', '/movements', {
    type: 'issue',
    sku: 'BOLT-M8',
    quantity: 99,
  })
  t.equal(refused.status, 409)
  const head = (await api(node, 'GET', '/events?after=0&limit=500')).body.head
  const events = await stream.take(head)
  t.same(
    events.map((e) => e.id),
    Array.from({ length: head }, (_, i) => i + 1),
    'ids are the seqs, 1 to the head, none missing'
  )
  t.same(
    events.filter((e) => e.data.subject === 'BOLT-M8').map((e) => e.event),
    ['item.created', 'movement.recorded', 'movement.recorded', 'movement.recorded'],
    'the refused issue made no event'
  )
  t.match(
    events.at(-1)?.data,
    {
      seq: head,
      type: 'movement.recorded',
      subject: 'BOLT-M8',
      data: { seq: 3, type: 'receipt', quantity: 7, balanceAfter: 18 },
    },
    'each event carries the whole row'
  )
})

t.test('a client that reconnects with Last-Event-ID misses nothing made meanwhile', async (t) => {
  const node = await startTestNode(t)
  await api(node, 'POST', '/items', { sku: 'NUT-M8', name: 'Nut', unit: 'ea' })
  const first = await follow(`${node.url}/events/stream?after=0`)
  const before = (await api(node, 'GET', '/events')).body.head
  const seen = await first.take(before)
  await first.close()
  const lastId = seen.at(-1)!.id
  for (const quantity of [1, 2, 3])
    await api(node, 'POST', '/movements', receipt('NUT-M8', quantity))
  const again = await follow(`${node.url}/events/stream`, { 'last-event-id': String(lastId) })
  t.teardown(again.close)
  const resumed = await again.take(3)
  t.same(
    resumed.map((e) => e.id),
    [lastId + 1, lastId + 2, lastId + 3]
  )
  t.same(
    resumed.map((e) => e.event),
    ['movement.recorded', 'movement.recorded', 'movement.recorded']
  )
})

t.test('without a position the stream starts from now, and types narrow it', async (t) => {
  const node = await startTestNode(t)
  await api(node, 'POST', '/items', { sku: 'OLD', name: 'Old', unit: 'ea' })
  const stream = await follow(`${node.url}/events/stream?types=movement.recorded`)
  t.teardown(stream.close)
  await api(node, 'POST', '/items', { sku: 'NEW', name: 'New', unit: 'ea' })
  await api(node, 'POST', '/movements', receipt('NEW', 4))
  const [only] = await stream.take(1)
  t.match(only, { event: 'movement.recorded', data: { subject: 'NEW' } })
  t.equal(stream.seen.length, 1, 'neither the old item nor the new one came')
})

t.test('a bad position is refused, and a stopping node ends its streams', async (t) => {
  const node = await startTestNode(t)
  t.match(await api(node, 'GET', '/events/stream', undefined, { 'last-event-id': 'x' }), {
    status: 400,
    body: { code: 'VALIDATION_FAILED', details: [{ path: '' }] },
  })
  t.match(await api(node, 'GET', '/events/stream', undefined, { 'last-event-id': '' }), {
    status: 400,
    body: { error: /leave the header out to start from now/ },
  })
  for (const loose of ['1e3', '0x2a', '%2B43', '43.0']) {
    t.match(
      await api(node, 'GET', `/events/stream?after=${loose}`),
      {
        status: 400,
        body: { details: [{ path: 'after', message: 'must be a whole number, in digits' }] },
      },
      `${loose}: a number to JavaScript, not a position`
    )
  }
  t.match(await api(node, 'GET', '/events/stream?after='), {
    status: 400,
    body: { details: [{ path: 'after', message: /leave after out to start from now/ }] },
  })
  // Past the log's head (a position from another node, or from before a restore): waiting there
  // would skip every event up to it without a word.
  const { head } = (await api(node, 'GET', '/events?limit=1')).body
  t.match(await api(node, 'GET', `/events/stream?after=${head + 1}`), {
    status: 409,
    body: {
      code: 'CONFLICT',
      error: new RegExp(`^after ${head + 1} is past the last event here \\(${head}\\)`),
    },
  })
  t.match(
    await api(node, 'GET', '/events/stream', undefined, { 'last-event-id': String(head + 50) }),
    { status: 409, body: { details: [{ path: 'Last-Event-ID' }] } }
  )
  const stream = await follow(`${node.url}/events/stream`)
  t.teardown(stream.close)
  const started = Date.now()
  await node.close()
  t.ok(stream.ended(), 'the stream ended before the node finished stopping')
  t.ok(Date.now() - started < 5000, 'and the node did not wait out the force-close')
})

t.test(
  'a token revoked, or a topic kept from its user, while a stream is open: the stream says why and ends, and the node serves on',
  async (t) => {
    const node = await startTestNode(t)
    t.equal((await api(node, 'POST', '/users', { name: 'vic', role: 'viewer' })).status, 201)
    t.equal((await api(node, 'POST', '/users', { name: 'olga', role: 'operator' })).status, 201)
    t.equal((await api(node, 'POST', '/users', { name: 'otto', role: 'operator' })).status, 201)
    const viewer = (await api(node, 'POST', '/tokens', { user: 'vic', name: 'screen' })).body
    const operator = (await api(node, 'POST', '/tokens', { user: 'olga', name: 'screen' })).body
    await api(node, 'POST', '/items', { sku: 'BOLT-M8', name: 'Bolt', unit: 'ea' })

    const events = await follow(`${node.url}/events/stream`, {
      authorization: `Bearer ${viewer.token}`,
    })
    t.teardown(events.close)
    await api(node, 'POST', '/movements', receipt('BOLT-M8', 1))
    t.match(await events.take(1), [{ event: 'movement.recorded' }], 'the viewer follows')
    t.equal((await api(node, 'POST', `/tokens/${viewer.id}/revoke`)).status, 200)
    await api(node, 'POST', '/movements', receipt('BOLT-M8', 2))
    t.match(
      await events.end(),
      { error: 'UNAUTHENTICATED', message: /revoked/ },
      'the stream ends, saying the token was revoked'
    )
    t.equal(events.seen.length, 1, 'nothing made after the revocation was sent')

    // A topic the operator follows becomes kept to the users granted it: its next page is
    // refused. That refusal, thrown inside an open stream, once took the node's process down.
    t.equal((await api(node, 'POST', '/topics', { name: 'orders' })).status, 201)
    const topic = await follow(`${node.url}/topics/orders/stream`, {
      authorization: `Bearer ${operator.token}`,
    })
    t.teardown(topic.close)
    const granted = await api(node, 'POST', '/grants', {
      kind: 'topic',
      name: 'orders',
      user: 'otto',
      consume: true,
    })
    t.equal(granted.status, 200, 'otto alone may read orders now')
    await api(node, 'POST', '/topics/orders/messages', { body: { secret: 'for otto only' } })
    t.match(await topic.end(), { error: 'FORBIDDEN' }, 'the topic stream ends, saying why')
    t.equal(topic.seen.length, 0, 'the message was not sent to the operator')
    t.match(await api(node, 'GET', '/health'), { status: 200 }, 'and the node serves on')
  }
)

t.test(
  'one user holds at most so many streams at once, the node so many in all: one closed makes room',
  async (t) => {
    const saved = { ...STREAM_LIMITS }
    Object.assign(STREAM_LIMITS, { perUser: 2, perNode: 3 })
    t.teardown(() => Object.assign(STREAM_LIMITS, saved))
    const node = await startTestNode(t)
    t.equal((await api(node, 'POST', '/users', { name: 'vic', role: 'viewer' })).status, 201)
    const viewer = (await api(node, 'POST', '/tokens', { user: 'vic', name: 'screen' })).body
    const asVic = { authorization: `Bearer ${viewer.token}` }
    const open = async (headers: Record<string, string> = {}) => {
      const stream = await follow(`${node.url}/events/stream`, headers)
      t.teardown(stream.close)
      return stream
    }
    const [first, second] = [await open(asVic), await open(asVic)]
    t.equal(first.response.status, 200)
    t.equal(second.response.status, 200)
    const third = await api(node, 'GET', '/events/stream', undefined, asVic)
    t.equal(third.headers.get('retry-after'), '5')
    t.match(third, {
      status: 429,
      body: {
        code: 'TOO_MANY_STREAMS',
        error: 'vic has 2 event streams open, the most allowed at once: close one, or retry later',
      },
    })
    // The admin's own stream is the node's third; a fourth stream of anyone's is refused.
    const admins = await open()
    t.equal(admins.response.status, 200, "another user's stream is not vic's to count")
    t.match(await api(node, 'GET', '/events/stream'), {
      status: 429,
      body: { error: /^this node has 3 event streams open/ },
    })
    // A stream closed by its client is counted out: vic may open one again.
    await first.close()
    let again
    for (let tries = 0; tries < 100; tries++) {
      again = await follow(`${node.url}/events/stream`, asVic)
      t.teardown(again.close)
      if (again.response.status === 200) break
      await again.close()
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    t.equal(again?.response.status, 200, 'room again once a stream has gone')
  }
)

t.test('a HEAD of a stream answers its head at once, and holds none of its slots', async (t) => {
  const saved = { ...STREAM_LIMITS }
  Object.assign(STREAM_LIMITS, { perUser: 1, perNode: 1 })
  t.teardown(() => Object.assign(STREAM_LIMITS, saved))
  const node = await startTestNode(t)
  const authorization = `Bearer ${tokenOf(node.url)}`
  for (let i = 0; i < 3; i++) {
    // A stream's body never ends: a HEAD that waited for it would time out here.
    const head = await fetch(`${node.url}/events/stream`, {
      method: 'HEAD',
      headers: { authorization },
      signal: AbortSignal.timeout(5000),
    })
    t.equal(head.status, 200, `HEAD ${i + 1}: answered`)
    t.match(head.headers.get('content-type'), /^text\/event-stream/)
  }
  const stream = await follow(`${node.url}/events/stream`, { authorization })
  t.teardown(stream.close)
  t.equal(stream.response.status, 200, 'the one stream allowed is still free')
})
