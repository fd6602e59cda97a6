// Company-wide stock against real nodes: the signed peer route, and the network answer under its
// deadline whatever the peers do (frozen by SIGSTOP, a port that accepts and never answers).
import t from 'tap'
import { HttpTransport, STOCK_EXCHANGE } from '../../network/index.ts'
import { CLUSTER_KEY } from '../fixtures/node-process.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

t.test('a node answers a signed stock ask with its figures and ledger head, signed', async (t) => {
  const node = await startTestNode(t, { name: 'Norte', clusterKey: CLUSTER_KEY })
  await api(node, 'POST', '/items', {
    sku: 'BOLT-M8',
    name: 'Bolt M8',
    unit: 'ea',
    reorderPoint: 5,
  })
  await api(node, 'POST', '/movements', { type: 'receipt', sku: 'BOLT-M8', quantity: 3 })
  const transport = new HttpTransport({ key: CLUSTER_KEY, selfId: 'asker' })
  t.teardown(() => transport.close())
  const call = (body: object) =>
    transport.call({
      kind: STOCK_EXCHANGE,
      address: node.url,
      to: node.identity.id,
      body,
      timeoutMs: 2000,
    })
  const outcome = await call({ skus: ['BOLT-M8'] })
  t.match(outcome, {
    ok: true,
    responder: node.identity.id,
    body: {
      node: { id: node.identity.id, name: 'Norte' },
      ledger: { seq: 1, hash: /^[0-9a-f]{64}$/ },
      figures: [{ sku: 'BOLT-M8', unit: 'ea', onHand: 3, reorderPoint: 5 }],
      truncated: false,
    },
  })
  t.match(await call({ all: true, low: true }), {
    ok: true,
    body: { figures: [{ sku: 'BOLT-M8' }] },
  })

  const stranger = new HttpTransport({ key: 'another-cluster-key-entirely', selfId: 'x' })
  t.teardown(() => stranger.close())
  const refused = await stranger.call({
    kind: STOCK_EXCHANGE,
    address: node.url,
    to: node.identity.id,
    body: { all: true },
    timeoutMs: 2000,
  })
  t.match(refused, { ok: false, reason: 'bogus' }, 'another cluster key gets no figures')
  const unsigned = await api(node, 'POST', '/peer/stock', { all: true })
  t.match(unsigned, { status: 401, body: { code: 'UNAUTHENTICATED' } })
})
