import t from 'tap'
import { signedHeaders, verifySignature } from '../../../runtime/membership/signing.ts'

const key = 'a-cluster-key-of-enough-length'
const body = '{"hello":"peer"}'

function request(headers: Record<string, string>, method = 'POST') {
  return { method, headers: new Headers(headers) }
}

t.test('accepts a request signed with the cluster key and names its sender', async (t) => {
  const headers = signedHeaders(key, 'node-a', 'POST', '/peer/gossip', body)
  t.equal(verifySignature(key, request(headers), '/peer/gossip', body), 'node-a')
})

t.test(
  'refuses a missing, wrong, tampered or stale signature, and any request when it has no key',
  async (t) => {
    const headers = signedHeaders(key, 'node-a', 'POST', '/peer/gossip', body)
    const refused = { status: 401, code: 'UNAUTHENTICATED' }
    t.throws(() => verifySignature(key, request({}), '/peer/gossip', body), {
      ...refused,
      message: /must be signed/,
    })
    t.throws(
      () => verifySignature('another-cluster-key-entirely', request(headers), '/peer/gossip', body),
      { ...refused, message: /another cluster key/ }
    )
    t.throws(
      () => verifySignature(key, request(headers), '/peer/gossip', '{"hello":"forged"}'),
      refused,
      'another body'
    )
    t.throws(
      () => verifySignature(key, request(headers), '/peer/sync', body),
      refused,
      'another path'
    )
    t.throws(
      () => verifySignature(key, request(headers, 'PUT'), '/peer/gossip', body),
      refused,
      'another method'
    )
    t.throws(
      () =>
        verifySignature(
          key,
          request({ ...headers, 'x-almacen-node': 'node-b' }),
          '/peer/gossip',
          body
        ),
      refused,
      'another sender'
    )
    const old = signedHeaders(key, 'node-a', 'POST', '/peer/gossip', body)
    old['x-almacen-time'] = String(Date.now() - 31_000)
    t.throws(() => verifySignature(key, request(old), '/peer/gossip', body), {
      ...refused,
      message: /stale/,
    })
    t.throws(() => verifySignature(undefined, request(headers), '/peer/gossip', body), {
      ...refused,
      message: /no cluster key/,
    })
  }
)
