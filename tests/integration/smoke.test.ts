import t from 'tap'
import { api, startTestNode } from '../fixtures/test-node.ts'

t.test('a started node records a receipt and reports it on hand', async (t) => {
  const node = await startTestNode(t)
  t.equal(
    (await api(node, 'POST', '/items', { sku: 'bolt', name: 'Bolt', unit: 'ea' })).status,
    201
  )
  t.equal(
    (await api(node, 'POST', '/movements', { type: 'receipt', sku: 'bolt', quantity: 4 })).status,
    201
  )
  t.match((await api(node, 'GET', '/stock/BOLT')).body, { sku: 'BOLT', onHand: 4 })
})
