import t from 'tap'
import { addItemInteractively } from '../../../client/commands/add-item.ts'
import { seed, session } from '../../fixtures/client-kit.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

t.test('Add an item asks for each field, with ea and no reorder point as defaults', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'NUT-M8', name: 'Nut M8' }]) // added without a reorder point
  // undefined answers take the default, as Enter does
  const s = session(node.url, ['bolt-m8', 'Bolt M8 zinc', undefined, undefined, 'DIN 933', true])
  await addItemInteractively(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), /Reorder at: +none \(never shown as low\)/)
  const nut = (await api(node, 'GET', '/items/NUT-M8')).body
  t.match((await api(node, 'GET', '/items/BOLT-M8')).body, {
    name: 'Bolt M8 zinc',
    unit: 'ea',
    reorderPoint: nut.reorderPoint, // none was sent: the node's own default
    description: 'DIN 933',
  })
})

t.test('a reorder point typed is kept, and shows in the sentence', async (t) => {
  const node = await startTestNode(t)
  const s = session(node.url, ['bolt-m8', 'Bolt M8 zinc', 'box', '12', '', true])
  await addItemInteractively(s.io)
  t.match(s.output(), '✔ Added BOLT-M8 "Bolt M8 zinc" (unit box, reorder point 12).')
  t.equal((await api(node, 'GET', '/items/BOLT-M8')).body.reorderPoint, 12)
})

t.test('a SKU that exists or is malformed is refused before the other questions', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
  const s = session(node.url, ['bolt-m8', 'bolt m8', 'NUT-M8', 'Nut M8', 'box', '12', '', false])
  await addItemInteractively(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), 'BOLT-M8 already exists: Bolt M8 zinc')
  t.match(s.output(), 'The SKU must be 1-64 letters, digits, dots, dashes or underscores')
  t.match(s.output(), 'Nothing added.')
  t.equal((await api(node, 'GET', '/items/NUT-M8')).status, 404)
})
