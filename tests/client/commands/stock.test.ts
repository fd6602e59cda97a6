import t from 'tap'
import { lowStock, onHand, stockOfOne } from '../../../client/commands/stock.ts'
import { seed, session } from '../../fixtures/client-kit.ts'
import { startTestNode } from '../../fixtures/test-node.ts'

const ITEMS = [
  { sku: 'BOLT-M8', name: 'Bolt M8 zinc', reorderPoint: 50, onHand: 1200 },
  { sku: 'NUT-M8', name: 'Nut M8', reorderPoint: 100, onHand: 40 },
  { sku: 'WASHER', name: 'Washer', unit: 'box', reorderPoint: 2 },
]

t.test('Everything on hand is an aligned table with quantities to the right', async (t) => {
  const node = await startTestNode(t)
  await seed(node, ITEMS)
  const s = session(node.url, [])
  await onHand(s.io)
  t.equal(
    s.lines[0],
    [
      'SKU      NAME          ON HAND  UNIT  REORDER AT  LOW',
      'BOLT-M8  Bolt M8 zinc     1200  ea            50',
      'NUT-M8   Nut M8             40  ea           100  low',
      'WASHER   Washer              0  box            2  low',
    ].join('\n')
  )
})

t.test(
  'Low stock lists only what is at or below its reorder point, or says nothing is',
  async (t) => {
    const node = await startTestNode(t)
    await seed(node, ITEMS)
    const s = session(node.url, [])
    await lowStock(s.io)
    t.match(s.lines[0], /NUT-M8[\s\S]*WASHER/)
    t.notMatch(s.lines[0], 'BOLT-M8')

    const empty = await startTestNode(t)
    await seed(empty, [ITEMS[0]])
    const none = session(empty.url, [])
    await lowStock(none.io)
    t.equal(none.output(), 'Nothing is low: every item is above its reorder point.')
  }
)

t.test('One item shows its stock on hand and reorder point', async (t) => {
  const node = await startTestNode(t)
  await seed(node, ITEMS)
  const s = session(node.url, ['NUT-M8'])
  await stockOfOne(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), /^On hand: +40 ea$/m)
  t.match(s.output(), /^Reorder at: +100 ea  \(low: reorder now\)$/m)
})
