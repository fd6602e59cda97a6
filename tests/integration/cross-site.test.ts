// What a web page can make a browser send to a node on the warehouse computer, tried for real:
// a form or text/plain POST (no CORS preflight), and a page on a rebound DNS name.
import { request } from 'node:http'
import t from 'tap'
import type { RunningNode } from '../../runtime/node.ts'
import { CLUSTER_KEY } from '../fixtures/node-process.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { tokenOf } from '../fixtures/tokens.ts'

/**
 * A request with these headers (fetch will not send a Host of our choosing), and the node's admin
 * token: each defence is tried on its own, as if the page had the token too.
 */
function send(
  node: RunningNode,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = ''
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: node.port,
        method,
        path,
        headers: { authorization: `Bearer ${tokenOf(node.url)}`, ...headers },
        agent: false,
      },
      (res) => {
        let text = ''
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
      }
    )
    req.on('error', reject)
    req.end(body)
  })
}

const participating = async (node: RunningNode) =>
  (await api(node, 'GET', '/members')).body.participating

t.test('a web page cannot take the node out of the network or change its stock', async (t) => {
  const node = await startTestNode(t, { clusterKey: CLUSTER_KEY })
  t.equal(await participating(node), true)

  const asText = await send(node, 'POST', '/members/leave', { 'content-type': 'text/plain' }, 'x')
  t.match(asText, { status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } })
  const asForm = await send(node, 'POST', '/ledger/rebuild', {
    'content-type': 'application/x-www-form-urlencoded',
  })
  t.match(asForm, { status: 415 })
  t.equal(await participating(node), true, 'still in the network')

  const rebound = await send(node, 'GET', '/stock', { host: `evil.example:${node.port}` })
  t.match(rebound, { status: 403, body: { code: 'HOST_NOT_ALLOWED', error: /evil\.example/ } })

  const crossSite = await send(
    node,
    'POST',
    '/items',
    { 'content-type': 'application/json', origin: 'http://evil.example' },
    JSON.stringify({ sku: 'EVIL', name: 'Evil', unit: 'ea' })
  )
  t.match(crossSite, { status: 403, body: { code: 'ORIGIN_NOT_ALLOWED' } })
  t.equal((await api(node, 'GET', '/items/EVIL')).status, 404, 'nothing was written')

  // What curl and the client send still works, by any of the node's own names.
  t.equal((await api(node, 'POST', '/ledger/verify')).status, 200)
  const byName = await send(node, 'GET', '/health', { host: `localhost:${node.port}` })
  t.equal(byName.status, 200)
  t.match(await api(node, 'POST', '/members/leave'), { status: 200, body: { left: true } })
  t.equal(await participating(node), false, 'a JSON request does leave')
})
