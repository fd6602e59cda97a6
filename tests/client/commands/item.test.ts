import t from 'tap'
import { showItem } from '../../../client/commands/item.ts'
import { seed, session } from '../../fixtures/client-kit.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

t.test('Show an item gives its details, stock on hand and latest movements', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', reorderPoint: 50, onHand: 30 }])
  await api(node, 'PATCH', '/items/BOLT-M8', { description: 'DIN 933, aisle 4' })
  const s = session(node.url, ['bolt-m8'])
  await showItem(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), /^SKU: +BOLT-M8$/m)
  t.match(s.output(), /^Description: +DIN 933, aisle 4$/m)
  t.match(s.output(), /^On hand: +30 ea  \(low: at or below its reorder point\)$/m)
  t.match(s.output(), /^Reorder at: +50 ea$/m)
  t.match(s.output(), /Latest movements:\n#  WHEN .*\n1 .* receipt +\+30 +30/)
})
