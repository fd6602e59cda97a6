import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { PEER_MESSAGES, type MemberList } from '../../../network/membership/messages.ts'
import { Keyring, signingKey } from '../../../network/keyring/keyring.ts'
import { HttpTransport } from '../../../network/transport/http-transport.ts'
import { signAnswer } from '../../../network/transport/signing.ts'
import type { PeerOutcome } from '../../../network/transport/transport.ts'

const key = signingKey('a-cluster-key-of-enough-length')
const member = {
  id: 'node-b',
  name: 'B',
  address: 'http://127.0.0.1:1',
  state: 'alive' as const,
  incarnation: 1,
}
const list: MemberList = { self: member, members: [{ ...member, id: 'node-c', name: 'C' }] }

type Answer = (req: IncomingMessage) => {
  status?: number
  body: string
  /** Sign as this node, for this request signature (default: the request's own). */
  signAs?: string
  forSignature?: string
  unsigned?: boolean
}

/** A server on 127.0.0.1 that answers every request as `answer` says. */
async function server(t: { teardown(fn: () => unknown): void }, answer: Answer) {
  const seen: IncomingMessage[] = []
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(req)
    req.resume()
    req.on('end', () => {
      const a = answer(req)
      const status = a.status ?? 200
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (!a.unsigned) {
        Object.assign(
          headers,
          signAnswer(key, {
            responder: a.signAs ?? 'node-b',
            request: a.forSignature ?? String(req.headers['x-almacen-signature']),
            status,
            body: a.body,
          })
        )
      }
      res.writeHead(status, headers).end(a.body)
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => http.close(resolve)))
  return { address: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, seen }
}

function client(t: { teardown(fn: () => unknown): void }) {
  const outcomes: [string, PeerOutcome<unknown>][] = []
  const peer = new HttpTransport({ keys: Keyring.of(key.secret), selfId: 'node-a' })
  peer.watch({ answered: (to, outcome) => outcomes.push([to, outcome]) })
  t.teardown(() => peer.close())
  const join = (address: string, to = '*') =>
    peer.call({
      kind: PEER_MESSAGES.join,
      address,
      to,
      body: { member: { ...member, id: 'node-a' }, relay: true },
      timeoutMs: 2000,
    })
  return { join, outcomes }
}

t.test(
  'takes an answer signed for its request by the node asked, in the shape asked for',
  async (t) => {
    const { address, seen } = await server(t, () => ({ body: JSON.stringify(list) }))
    const { join, outcomes } = client(t)
    t.match(await join(address), { ok: true, responder: 'node-b', body: list })
    t.match(seen[0].headers, { 'x-almacen-node': 'node-a', 'x-almacen-to': '*' })
    t.match(outcomes, [['*', { ok: true }]], 'the outcome is told for the node it was sent to')
  }
)

t.test('never believes an unsigned answer, however well formed', async (t) => {
  const forged = { ...list, members: [{ ...member, id: 'injected', name: 'Injected' }] }
  const { address } = await server(t, () => ({ body: JSON.stringify(forged), unsigned: true }))
  const outcome = await client(t).join(address)
  t.match(outcome, { ok: false, reason: 'bogus', message: /200 without a valid signature/ })
  t.notOk('body' in outcome, 'nothing of it is handed on')
})

t.test('says an unsigned 503 may be a refusal at the door, not only another network', async (t) => {
  const body = JSON.stringify({ status: 503, code: 'TOO_MANY_CONNECTIONS', error: 'Too many' })
  const { address } = await server(t, () => ({ status: 503, body, unsigned: true }))
  t.match(await client(t).join(address), {
    ok: false,
    reason: 'bogus',
    message:
      'answered 503 TOO_MANY_CONNECTIONS without a valid signature (refused at its door before it was read (too many connections there?), or another cluster key, or not an almacen node)',
  })
})

t.test("quotes an unsigned 401's words: a node naming the key it was not given", async (t) => {
  const body = JSON.stringify({
    status: 401,
    code: 'UNAUTHENTICATED',
    error:
      'The request is signed with cluster key 0123456789abcdef, which is not installed on this node\u001b[2J',
  })
  const { address } = await server(t, () => ({ status: 401, body, unsigned: true }))
  t.match(await client(t).join(address), {
    ok: false,
    reason: 'bogus',
    message:
      'answered 401 UNAUTHENTICATED without a valid signature (another cluster key, or not an almacen node; it says: "The request is signed with cluster key 0123456789abcdef, which is not installed on this node?[2J")',
  })
})

t.test('says what an unsigned 503 says it is, restoring or stopping, as its word', async (t) => {
  for (const [code, words] of [
    ['RESTORING', 'it says it is restoring its ledger, and serves once that is verified'],
    ['NODE_STOPPING', 'it says it is stopping'],
  ]) {
    const body = JSON.stringify({ status: 503, code, error: 'Not now' })
    const { address } = await server(t, () => ({ status: 503, body, unsigned: true }))
    t.match(await client(t).join(address), {
      ok: false,
      reason: 'bogus',
      message: `answered 503 ${code} without a valid signature (${words})`,
    })
  }
})

t.test(
  'refuses a signed answer that was made for another request (a replayed answer)',
  async (t) => {
    let captured: string | undefined
    const { address } = await server(t, (req) => {
      captured ??= String(req.headers['x-almacen-signature'])
      return { body: JSON.stringify(list), forSignature: captured }
    })
    const { join } = client(t)
    t.match(await join(address), { ok: true }, 'the first answer is for its request')
    t.match(await join(address), { ok: false, reason: 'bogus' }, 'the same answer again is not')
  }
)

t.test(
  'refuses a signed answer that is malformed, or from another node than the one asked',
  async (t) => {
    const huge = { ...list, self: { ...member, incarnation: 2 ** 53 - 1 } }
    const { address } = await server(t, (req) =>
      req.headers['x-almacen-to'] === 'node-z'
        ? { body: JSON.stringify(list) }
        : { body: JSON.stringify(huge) }
    )
    const { join } = client(t)
    t.match(await join(address), {
      ok: false,
      reason: 'bogus',
      message: /signed, but not with the answer asked for/,
    })
    t.match(await join(address, 'node-z'), {
      ok: false,
      reason: 'wrong-node',
      message: /node-b answered for node-z/,
    })
  }
)

t.test('reads a signed CLOCK_SKEW refusal as the receiver’s measure of the clocks', async (t) => {
  const refusal = { status: 401, error: 'clock', code: 'CLOCK_SKEW', details: { skewMs: 45_000 } }
  const { address } = await server(t, () => ({ status: 401, body: JSON.stringify(refusal) }))
  t.match(await client(t).join(address, 'node-b'), {
    ok: false,
    reason: 'clock-skew',
    skewMs: 45_000,
  })
})

t.test('stops reading an answer larger than any member list', async (t) => {
  const { address } = await server(t, () => ({ body: ' '.repeat(2 * 1024 * 1024), unsigned: true }))
  t.match(await client(t).join(address), { ok: false, reason: 'bogus', message: /more than/ })
})

t.test('a call that meets a reset tries once more, within the time it had', async (t) => {
  // The first request's connection is cut after a while; the second is never answered.
  let requests = 0
  const { address } = await server(t, () => ({ body: JSON.stringify(list) }))
  const hanging = createServer((req) => {
    requests++
    if (requests === 1) setTimeout(() => req.socket.destroy(), 1200)
  })
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    hanging.closeAllConnections()
    return new Promise((resolve) => hanging.close(resolve))
  })
  const { join } = client(t)
  t.match(await join(address), { ok: true }, 'a node that answers is answered as ever')
  const started = performance.now()
  const outcome = await join(`http://127.0.0.1:${(hanging.address() as AddressInfo).port}`)
  const took = performance.now() - started
  t.equal(requests, 2, 'tried again after the reset')
  t.match(outcome, { ok: false, reason: 'timeout' })
  t.ok(took < 2400, `over in ${Math.round(took)} ms, for a call of 2000 ms`)
})
