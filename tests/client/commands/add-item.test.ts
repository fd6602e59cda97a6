import t from 'tap'
import { addItemInteractively } from '../../../client/commands/add-item.ts'
import { seed, session } from '../../fixtures/client-kit.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

t.test('Add an item asks for each field, with ea and 0 as defaults, and adds it', async (t) => {
  const node = await startTestNode(t)
  // undefined answers take the default, as Enter does
  const s = session(node.url, ['bolt-m8', 'Bolt M8 zinc', undefined, undefined, 'DIN 933', true])
  await addItemInteractively(s.io)
  t.same(s.unused(), [])
  t.match(
    s.output(),
    '✔ Added BOLT-M8 "Bolt M8 zinc" (unit ea, reorder point 0). Its stock starts at 0.'
  )
  t.match((await api(node, 'GET', '/items/BOLT-M8')).body, {
    name: 'Bolt M8 zinc',
    unit: 'ea',
    reorderPoint: 0,
    description: 'DIN 933',
  })
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
