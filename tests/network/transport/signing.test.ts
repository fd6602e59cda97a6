import t from 'tap'
import {
  signAnswer,
  signRequest,
  verifyAnswer,
  verifyRequest,
} from '../../../network/transport/signing.ts'

const key = 'a-cluster-key-of-enough-length'
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
    t.match(verifyRequest(key, request(headers), path, body), {
      sender: 'node-a',
      to: 'node-b',
      nonce: /^[\w-]{22}$/,
      signature,
    })
    t.not(
      sign().headers['x-almacen-nonce'],
      headers['x-almacen-nonce'],
      'every request has its own nonce'
    )
  }
)

t.test(
  'refuses a missing, wrong or tampered signature, and any request when it has no key',
  async (t) => {
    const { headers } = sign()
    const refused = { name: 'ProtocolError', code: 'UNAUTHENTICATED' }
    t.throws(() => verifyRequest(key, request({}), path, body), {
      ...refused,
      message: /must be signed/,
    })
    t.throws(() => verifyRequest('another-cluster-key-entirely', request(headers), path, body), {
      ...refused,
      message: /another cluster key/,
    })
    t.throws(
      () => verifyRequest(key, request(headers), path, '{"hello":"forged"}'),
      refused,
      'body'
    )
    t.throws(() => verifyRequest(key, request(headers), '/peer/sync', body), refused, 'path')
    t.throws(() => verifyRequest(key, request(headers, 'PUT'), path, body), refused, 'method')
    for (const [name, value] of [
      ['x-almacen-node', 'node-c'],
      ['x-almacen-to', 'node-c'],
      ['x-almacen-to', '*'],
      ['x-almacen-nonce', 'another-nonce-0123456789'],
      ['x-almacen-time', String(Date.now() - 1)],
    ]) {
      t.throws(
        () => verifyRequest(key, request({ ...headers, [name]: value }), path, body),
        refused,
        `another ${name}`
      )
    }
    t.throws(
      () => verifyRequest(key, request({ ...headers, 'x-almacen-nonce': 'short' }), path, body),
      { ...refused, message: /malformed/ }
    )
    t.throws(() => verifyRequest(undefined, request(headers), path, body), {
      ...refused,
      message: /no cluster key/,
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
      over: Partial<{ key: string; request: string; status: number; body: string }> = {},
      extra: Record<string, string> = {}
    ) =>
      verifyAnswer(over.key ?? key, over.request ?? asked.signature, {
        status: over.status ?? 200,
        header: (name) => ({ ...headers, ...extra })[name],
        body: over.body ?? answer.body,
      })
    t.equal(check(), 'node-b')
    t.equal(check({ request: sign().signature }), undefined, 'not an answer to another request')
    t.equal(check({ key: 'another-cluster-key-entirely' }), undefined, 'not with another key')
    t.equal(check({ status: 409 }), undefined, 'not with another status')
    t.equal(check({ body: '{"ok":false}' }), undefined, 'not with another body')
    t.equal(check({}, { 'x-almacen-node': 'node-c' }), undefined, 'not from another responder')
    t.equal(check({}, { 'x-almacen-signature': '' }), undefined, 'not unsigned')
  }
)
