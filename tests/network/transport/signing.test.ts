import t from 'tap'
import { signingKey } from '../../../network/keyring/keyring.ts'
import {
  signAnswer,
  signRequest,
  verifyAnswer,
  verifyRequest,
} from '../../../network/transport/signing.ts'

const key = signingKey('a-cluster-key-of-enough-length')
const other = signingKey('another-cluster-key-entirely')
/** A keyring holding `held`: the secret of each by its id. */
const ring =
  (...held: { id: string; secret: string }[]) =>
  (id: string) =>
    held.find((k) => k.id === id)?.secret
const keys = ring(key)
const body = '{"hello":"peer"}'
const path = '/peer/gossip'

function request(headers: Record<string, string>, method = 'POST') {
  return { method, headers: new Headers(headers) }
}

const sign = () => signRequest(key, { from: 'node-a', to: 'node-b', method: 'POST', path, body })

t.test(
  'accepts a request signed with the cluster key and names its sender and receiver',
  async (t) => {
    const { headers, signature } = sign()
    t.match(verifyRequest(keys, request(headers), path, body), {
      sender: 'node-a',
      to: 'node-b',
      nonce: /^[\w-]{22}$/,
      signature,
      key,
    })
    t.equal(headers['x-almacen-key'], key.id, 'the key is named by its id, never sent')
    t.notMatch(JSON.stringify(headers), key.secret)
    t.ok(
      verifyRequest(ring(other, key), request(headers), path, body),
      'any installed key is accepted'
    )
    t.not(
      sign().headers['x-almacen-nonce'],
      headers['x-almacen-nonce'],
      'every request has its own nonce'
    )
  }
)

t.test(
  'refuses a missing, wrong or tampered signature, and one under a key not installed',
  async (t) => {
    const { headers } = sign()
    const refused = { name: 'ProtocolError', code: 'UNAUTHENTICATED' }
    t.throws(() => verifyRequest(keys, request({}), path, body), {
      ...refused,
      message: /must be signed/,
    })
    t.throws(() => verifyRequest(ring(other), request(headers), path, body), {
      ...refused,
      message: new RegExp(`signed with cluster key ${key.id}, which is not installed`),
    })
    // A stranger who names our key's id without holding it.
    const forged = (id: string) => (id === key.id ? other.secret : undefined)
    t.throws(() => verifyRequest(forged, request(headers), path, body), {
      ...refused,
      message: /another cluster key/,
    })
    t.throws(
      () => verifyRequest(keys, request(headers), path, '{"hello":"forged"}'),
      refused,
      'body'
    )
    t.throws(() => verifyRequest(keys, request(headers), '/peer/sync', body), refused, 'path')
    t.throws(() => verifyRequest(keys, request(headers, 'PUT'), path, body), refused, 'method')
    for (const [name, value] of [
      ['x-almacen-node', 'node-c'],
      ['x-almacen-to', 'node-c'],
      ['x-almacen-to', '*'],
      ['x-almacen-nonce', 'another-nonce-0123456789'],
      ['x-almacen-key', other.id],
      // one millisecond off the signed time, never the signed time itself
      ['x-almacen-time', String(Number(headers['x-almacen-time']) - 1)],
    ]) {
      t.throws(
        () => verifyRequest(ring(key, other), request({ ...headers, [name]: value }), path, body),
        refused,
        `another ${name}`
      )
    }
    t.throws(
      () => verifyRequest(keys, request({ ...headers, 'x-almacen-nonce': 'short' }), path, body),
      { ...refused, message: /malformed/ }
    )
    // Whatever a key holder signs, a sender is a node id: no per-sender state for 8 KB of one.
    for (const [name, value] of [
      ['x-almacen-node', 'n'.repeat(65)],
      ['x-almacen-node', 'node a'],
      ['x-almacen-to', 'é'],
    ]) {
      t.throws(
        () => verifyRequest(keys, request({ ...headers, [name]: value }), path, body),
        { ...refused, message: /not a node id/ },
        `${name}: ${value.slice(0, 10)}`
      )
    }
    // The right signature in another spelling: Buffer.from(hex) would read both as the same bytes.
    const signed = headers['x-almacen-signature']
    for (const spelling of [signed.toUpperCase(), `${signed}zz`, `${signed}0`]) {
      t.throws(
        () =>
          verifyRequest(keys, request({ ...headers, 'x-almacen-signature': spelling }), path, body),
        refused,
        `the signature spelled ${JSON.stringify(spelling.slice(60))}`
      )
    }
    t.throws(() => verifyRequest(ring(), request(headers), path, body), {
      ...refused,
      message: /not installed on this node/,
    })
  }
)

t.test(
  'an answer is signed for the one request it answers, by the node that answers',
  async (t) => {
    const asked = sign()
    const answer = {
      responder: 'node-b',
      request: asked.signature,
      status: 200,
      body: '{"ok":true}',
    }
    const headers = signAnswer(key, answer)
    const check = (
      over: Partial<{ key: typeof key; request: string; status: number; body: string }> = {},
      extra: Record<string, string> = {}
    ) =>
      verifyAnswer(over.key ?? key, over.request ?? asked.signature, {
        status: over.status ?? 200,
        header: (name) => ({ ...headers, ...extra })[name],
        body: over.body ?? answer.body,
      })
    t.equal(check(), 'node-b')
    t.equal(check({ request: sign().signature }), undefined, 'not an answer to another request')
    t.equal(check({ key: other }), undefined, 'not with another key')
    t.equal(
      check({ key: { id: key.id, secret: other.secret } }),
      undefined,
      'not with another key under the same id'
    )
    t.equal(check({}, { 'x-almacen-key': other.id }), undefined, 'not naming another key')
    t.equal(check({ status: 409 }), undefined, 'not with another status')
    t.equal(check({ body: '{"ok":false}' }), undefined, 'not with another body')
    t.equal(check({}, { 'x-almacen-node': 'node-c' }), undefined, 'not from another responder')
    t.equal(check({}, { 'x-almacen-signature': '' }), undefined, 'not unsigned')
    // A feed page is signed as the bytes the worker sent (PeerExchange.answer): the same
    // signature as its text, checked by a receiver that reads text.
    const page = '{"events":[{"name":"Caña \\"2 m\\""}]}'
    const fromBytes = signAnswer(key, { ...answer, body: Buffer.from(page) })
    const bytesChecked = verifyAnswer(key, asked.signature, {
      status: 200,
      header: (name) => fromBytes[name],
      body: page,
    })
    t.equal(bytesChecked, 'node-b', 'an answer signed as its UTF-8 bytes checks out as its text')
  }
)
