import t from 'tap'
import { errorResponse } from '../../../runtime/errors.ts'
import { text } from '../../../runtime/index.ts'
import { httpErrorOf } from '../../../runtime/peer-refusals.ts'
import { Keyring, signingKey } from '../../../network/keyring/keyring.ts'
import { PeerAuth } from '../../../network/transport/peer-auth.ts'
import { MAX_SKEW_MS, signRequest, verifyAnswer } from '../../../network/transport/signing.ts'
import { pino } from 'pino'

const key = signingKey('a-cluster-key-of-enough-length')
const body = '{"from":"node-a"}'

function receiver(selfId = 'node-b') {
  const skews: [string, number][] = []
  const auth = new PeerAuth({
    keys: Keyring.of(key.secret),
    selfId,
    onClockSkew: (sender, skewMs) => skews.push([sender, skewMs]),
  })
  return { auth, skews }
}

/** A request as it arrives, signed by node-a for `to`, optionally with its clock moved. */
function arriving(to: string, path = '/peer/gossip', clockMs = 0) {
  const realNow = Date.now
  Date.now = () => realNow() + clockMs
  try {
    const { headers, signature } = signRequest(key, {
      from: 'node-a',
      to,
      method: 'POST',
      path,
      body,
    })
    return { request: new Request(`http://b${path}`, { method: 'POST', headers }), path, signature }
  } finally {
    Date.now = realNow
  }
}

const admit = (auth: PeerAuth, r: ReturnType<typeof arriving>) =>
  auth.exchange(r.request, r.path).admit(body)

t.test(
  'takes a fresh request signed for this node, once: the same bytes again are a replay',
  async (t) => {
    const { auth } = receiver()
    const captured = arriving('node-b')
    t.equal(admit(auth, captured), 'node-a')
    t.throws(() => admit(auth, captured), { name: 'ProtocolError', code: 'REPLAYED' })
    t.equal(admit(auth, arriving('node-b')), 'node-a', 'a new request (new nonce) is taken')
  }
)

t.test(
  'refuses a request signed for another node; only a join and the replica question may be for anyone',
  async (t) => {
    const { auth } = receiver()
    const c = receiver('node-c').auth
    const forC = arriving('node-c')
    t.throws(() => admit(auth, forC), {
      code: 'WRONG_NODE',
      message: /signed for node-c/,
    })
    t.equal(admit(c, forC), 'node-a', 'the node it was signed for takes it')
    t.throws(() => admit(auth, arriving('*')), { code: 'WRONG_NODE' }, 'gossip for anyone')
    // Signed by a key holder in node-a's name, to node-a itself: refused.
    t.throws(() => admit(receiver('node-a').auth, arriving('node-a')), {
      code: 'WRONG_NODE',
      message: 'The request says it comes from this node, node-a; a node sends itself nothing',
    })
    t.equal(admit(auth, arriving('*', '/peer/join')), 'node-a')
    // A node being restored knows only its peers' addresses; what it asks first is read-only.
    t.equal(admit(auth, arriving('*', '/peer/replica-head')), 'node-a')
    for (const path of ['/peer/replica-feed', '/peer/replica-hashes', '/peer/feed']) {
      t.throws(() => admit(auth, arriving('*', path)), { code: 'WRONG_NODE' }, `${path} for anyone`)
    }
  }
)

t.test(
  'refuses a signed request from a clock beyond the window with CLOCK_SKEW, and says by how much',
  async (t) => {
    const { auth, skews } = receiver()
    const ahead = arriving('node-b', '/peer/gossip', 45_000)
    t.throws(() => admit(auth, ahead), {
      code: 'CLOCK_SKEW',
      message: /45 s ahead of this node's/,
      details: { maxSkewMs: MAX_SKEW_MS },
    })
    t.equal(skews.length, 1)
    t.equal(skews[0][0], 'node-a', 'the signer is told to the membership')
    t.ok(Math.abs(skews[0][1] + 45_000) < 1000, `measured ${skews[0][1]} ms`)
    const behind = arriving('node-b', '/peer/gossip', -45_000)
    t.throws(() => admit(auth, behind), { code: 'CLOCK_SKEW', message: /45 s behind/ })
    t.equal(admit(auth, arriving('node-b', '/peer/gossip', 20_000)), 'node-a', 'within the window')
  }
)

t.test('a request naming a key not installed here is refused, and the key is told', async (t) => {
  const unknown: [string, string, string[]][] = []
  const auth = new PeerAuth({
    keys: Keyring.of(signingKey('another-cluster-key-of-enough-length').secret),
    selfId: 'node-b',
    onClockSkew: () => undefined,
    onUnknownKey: (sender, keyId, held) => unknown.push([sender, keyId, held]),
  })
  t.throws(() => admit(auth, arriving('node-b')), {
    code: 'UNAUTHENTICATED',
    message: /not installed on this node/,
  })
  t.same(unknown, [['node-a', key.id, [signingKey('another-cluster-key-of-enough-length').id]]])
})

t.test(
  'an old request sent again is refused as out of the window, and says nothing of the clock',
  async (t) => {
    const { auth, skews } = receiver()
    const captured = arriving('node-b', '/peer/gossip', -45_000) // signed 45 s ago, held back
    t.equal(admit(auth, arriving('node-b')), 'node-a', 'node-a talks to this node now')
    t.throws(() => admit(auth, captured), { code: 'CLOCK_SKEW' })
    t.same(skews, [], "node-a's clock is not said to be off")
    // Nothing taken from node-a for a window: its clock stepped back, and that is said.
    const realNow = Date.now
    Date.now = () => realNow() + MAX_SKEW_MS + 1000
    try {
      t.throws(() => admit(auth, arriving('node-b', '/peer/gossip', -45_000)))
    } finally {
      Date.now = realNow
    }
    t.equal(skews.length, 1, 'a clock stepped back is said once nothing newer is being taken')
  }
)

t.test(
  'refuses a request signed before this process started: its nonce cannot be checked',
  async (t) => {
    const earlier = arriving('node-b', '/peer/gossip', -2000)
    const { auth } = receiver()
    t.throws(() => admit(auth, earlier), { code: 'TOO_EARLY' })
  }
)

t.test(
  'signs its answers, refusals included, for the request they answer; an unsigned request gets an unsigned answer',
  async (t) => {
    const { auth } = receiver()
    const log = pino({ level: 'silent' })
    const answerTo = async (r: ReturnType<typeof arriving>, bodyText = body) => {
      const exchange = auth.exchange(r.request, r.path)
      let response: Response
      try {
        exchange.admit(bodyText)
        response = new Response('{"ok":true}', { status: 200 })
      } catch (err) {
        response = errorResponse(httpErrorOf(err), log, 'test') as unknown as Response
      }
      const answered = await exchange.answer(response as never)
      const text = await answered.text()
      const responder = verifyAnswer(key, r.signature, {
        status: answered.status,
        header: (name) => answered.headers.get(name) ?? undefined,
        body: text,
      })
      return { status: answered.status, responder, text }
    }
    const fresh = arriving('node-b')
    t.match(await answerTo(fresh), { status: 200, responder: 'node-b', text: '{"ok":true}' })
    t.match(await answerTo(fresh), { status: 409, responder: 'node-b', text: /REPLAYED/ })
    t.match(
      await answerTo(arriving('node-b', '/peer/gossip', 60_000)),
      { status: 401, responder: 'node-b', text: /CLOCK_SKEW/ },
      'the sender can trust what this node says about its clock'
    )
    t.match(
      await answerTo(arriving('node-b'), '{"forged":true}'),
      { status: 401, responder: undefined },
      'a request that is not signed with the key gets nothing signed'
    )
  }
)

t.test(
  'an answer given as bytes (a feed page from the worker) goes out as those bytes, signed',
  async (t) => {
    const { auth } = receiver()
    const r = arriving('node-b')
    const exchange = auth.exchange(r.request, r.path)
    exchange.admit(body)
    const page = '{"events":[{"seq":1,"data":{"name":"Caña \\"2 m\\""}}],"upToDate":true}'
    const answered = await exchange.answer(
      text(Buffer.from(page), 'application/json; charset=utf-8') as never
    )
    t.equal(answered.status, 200)
    t.equal(answered.headers.get('content-type'), 'application/json; charset=utf-8')
    const bytes = Buffer.from(await answered.arrayBuffer())
    t.same(bytes, Buffer.from(page), 'the same bytes')
    const responder = verifyAnswer(key, r.signature, {
      status: answered.status,
      header: (name) => answered.headers.get(name) ?? undefined,
      body: bytes.toString(),
    })
    t.equal(responder, 'node-b', 'signed, as its text checks it')
  }
)
