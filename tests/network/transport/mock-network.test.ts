import t from 'tap'
import { z } from 'zod'
import { ManualClock } from '../../../network/manual-clock.ts'
import { MockNetwork, type Receiver } from '../../../network/transport/mock-network.ts'
import {
  ANY_RECEIVER,
  ProtocolError,
  type PeerOutcome,
} from '../../../network/transport/transport.ts'
import { seeded } from '../../fixtures/mock-cluster.ts'

// One exchange of its own: the transport knows nothing of membership.
const echo = {
  path: '/peer/echo',
  message: z.object({ say: z.string() }),
  answer: z.object({ heard: z.string() }),
}

const A = 'http://10.0.0.1:8080'
const B = 'http://10.0.0.2:8080'

function setUp(latencyMs = 5) {
  const clock = new ManualClock()
  const net = new MockNetwork({ clock, random: seeded(3), latencyMs })
  const a = net.transport('node-a', A)
  const b = net.transport('node-b', B)
  const received: [string, unknown][] = []
  const answering: Receiver = async (_kind, sender, message) => {
    received.push([sender, message])
    return { heard: (message as { say: string }).say }
  }
  net.listen(B, answering)
  const outcomes: [string, PeerOutcome<unknown>][] = []
  a.watch({ answered: (to, outcome) => outcomes.push([to, outcome]) })
  const say = (words: string, over: { to?: string; address?: string; timeoutMs?: number } = {}) =>
    a.call({
      kind: echo,
      address: over.address ?? B,
      to: over.to ?? 'node-b',
      body: { say: words },
      timeoutMs: over.timeoutMs ?? 1000,
    })
  /** Runs the clock until the call ends; its outcome and when (ms after the call). */
  const ends = async <T>(call: Promise<T>) => {
    const started = clock.now()
    let outcome: T | undefined
    void call.then((o) => (outcome = o))
    while (outcome === undefined) await clock.advance(1)
    return { outcome, ms: clock.now() - started }
  }
  return { clock, net, a, b, received, outcomes, say, ends }
}

t.test('carries a call there and its answer back, validated, in two one-way delays', async (t) => {
  const { say, ends, received, outcomes } = setUp(5)
  const { outcome, ms } = await ends(say('hello'))
  t.match(outcome, { ok: true, body: { heard: 'hello' }, rttMs: 10, responder: 'node-b' })
  t.equal(ms, 10)
  t.same(received, [['node-a', { say: 'hello' }]], 'the receiver gets the signer and the message')
  t.match(outcomes, [['node-b', { ok: true }]], 'and the caller’s watchers hear how it ended')
})

t.test('tells a refusal (nothing listens) from silence (a cut link)', async (t) => {
  const { net, say, ends } = setUp(5)
  const refused = await ends(say('anyone?', { address: 'http://10.0.0.9:8080' }))
  t.match(refused, { outcome: { ok: false, reason: 'refused' }, ms: 10 })
  net.cut(A, B)
  const silent = await ends(say('hello', { timeoutMs: 700 }))
  t.match(silent, { outcome: { ok: false, reason: 'timeout' }, ms: 700 })
  net.heal()
  t.match((await ends(say('again'))).outcome, { ok: true })
})

t.test('a one-way cut loses only that way: the message arrives, its answer does not', async (t) => {
  const { net, say, ends, received } = setUp()
  net.cut(B, A)
  t.match((await ends(say('one way'))).outcome, { ok: false, reason: 'timeout' })
  t.same(received, [['node-a', { say: 'one way' }]], 'the receiver acted on it')
})

t.test('drops, duplicates and delays messages as told, link by link', async (t) => {
  const { net, say, ends, received } = setUp()
  net.setFaults({ duplicate: 1 }, { from: A, to: B })
  t.match((await ends(say('twice'))).outcome, { ok: true, body: { heard: 'twice' } })
  t.equal(received.length, 2, 'the receiver got it twice; the caller one answer')
  net.setFaults({ delayMs: 250 }, { from: A, to: B })
  t.match(await ends(say('slow')), { outcome: { ok: true, rttMs: 255 }, ms: 255 })
  net.setFaults({ drop: 1 })
  t.match((await ends(say('lost'))).outcome, { ok: false, reason: 'timeout' })
  net.setFaults({ drop: 0.5 }, { from: A, to: B })
  for (let i = 0; i < 40; i++) await ends(say(`try ${i}`, { timeoutMs: 50 }))
  const tries = net.traffic.filter((m) => m.from === A && m.to === B && m.path === '/peer/echo')
  const lost = tries.slice(-40).filter((m) => m.copies === 0).length
  t.ok(lost > 10 && lost < 30, `about half of 40 lost: ${lost}`)
})

t.test(
  'a crash refuses what comes next and tells the nodes that had a connection to it',
  async (t) => {
    const { net, a, say, ends, clock } = setUp()
    const c = net.transport('node-c', 'http://10.0.0.3:8080')
    const lostByA: unknown[] = []
    const lostByC: unknown[] = []
    a.watch({ lost: (peer) => lostByA.push(peer) })
    c.watch({ lost: (peer) => lostByC.push(peer) })
    await ends(say('hello')) // A now has a kept connection to B; C has none
    net.crash(B)
    await clock.advance(10)
    t.same(lostByA, [{ address: B }], 'A hears its connection to B close')
    t.same(lostByC, [], 'C had none')
    t.match((await ends(say('still there?'))).outcome, { ok: false, reason: 'refused' })
    const again = net.transport('node-b', B) // restarted at the same address
    net.listen(B, async () => ({ heard: 'back' }))
    t.match((await ends(say('hello'))).outcome, { ok: true, body: { heard: 'back' } })
    t.ok(again.canTalk)
  }
)

t.test('a frozen node answers nothing until it thaws, then answers what it was sent', async (t) => {
  const { net, say, ends, received, clock } = setUp()
  net.freeze(B)
  t.match((await ends(say('are you there', { timeoutMs: 300 }))).outcome, {
    ok: false,
    reason: 'timeout',
  })
  t.same(received, [], 'nothing was handled while it was frozen')
  net.thaw(B)
  await clock.advance(10)
  t.same(received, [['node-a', { say: 'are you there' }]], 'it handles it on waking, late')
})

t.test(
  'answers as the checks of a real node would: wrong node, another key, a refusal, a bad answer',
  async (t) => {
    const { net, say, ends } = setUp()
    t.match((await ends(say('hi', { to: 'node-x' }))).outcome, {
      ok: false,
      reason: 'wrong-node',
      message: /node-b answered for node-x/,
    })
    t.match(
      (await ends(say('hi', { to: ANY_RECEIVER }))).outcome,
      {
        ok: false,
        reason: 'wrong-node',
        message: /signed for \*/,
      },
      'only a join may be sent to whoever answers'
    )
    const stranger = net.transport('node-s', 'http://10.0.0.7:8080', { cluster: 'another key' })
    const fromStranger = stranger.call({
      kind: echo,
      address: B,
      to: 'node-b',
      body: { say: 'let me in' },
      timeoutMs: 1000,
    })
    t.match((await ends(fromStranger)).outcome, {
      ok: false,
      reason: 'bogus',
      message: /without a valid signature/,
    })
    net.listen(B, async () => {
      throw new ProtocolError('CLOCK_SKEW', 'your clock', { skewMs: 45_000 })
    })
    t.match((await ends(say('hi'))).outcome, { ok: false, reason: 'clock-skew', skewMs: 45_000 })
    net.listen(B, async () => {
      throw new ProtocolError('NOT_A_MEMBER', 'This node has left the peer network')
    })
    t.match((await ends(say('hi'))).outcome, {
      ok: false,
      reason: 'error',
      message: 'NOT_A_MEMBER: This node has left the peer network',
    })
    net.listen(B, async () => ({ heard: 42 }))
    t.match((await ends(say('hi'))).outcome, { ok: false, reason: 'bogus' })
    const keyless = net.transport('node-k', 'http://10.0.0.8:8080', { canTalk: false })
    const unsent = keyless.call({
      kind: echo,
      address: B,
      to: 'node-b',
      body: { say: '' },
      timeoutMs: 10,
    })
    t.match(await unsent, { ok: false, reason: 'unauthorized' })
  }
)
