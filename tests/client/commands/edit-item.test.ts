import t from 'tap'
import { editItemInteractively } from '../../../client/commands/edit-item.ts'
import { runAction } from '../../../client/menu-loop.ts'
import { seed, session } from '../../fixtures/client-kit.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

const edit = { key: 'edit', title: 'Edit an item', run: editItemInteractively }

t.test('Edit an item keeps what is left as shown and saves only what changed', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', reorderPoint: 50 }])
  await api(node, 'PATCH', '/items/BOLT-M8', { description: 'old text' })
  const s = session(node.url, ['BOLT-M8', undefined, undefined, '-', '80', true])
  await editItemInteractively(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), /Description: +old text → \(empty\)\nReorder point: +50 → 80/)
  t.match(s.output(), '✔ Saved BOLT-M8 (Bolt M8 zinc).')
  t.match((await api(node, 'GET', '/items/BOLT-M8')).body, {
    name: 'Bolt M8 zinc',
    description: '',
    reorderPoint: 80,
  })
})

t.test('leaving every field as it was sends nothing', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', reorderPoint: 0 }])
  const before = (await api(node, 'GET', '/items/BOLT-M8')).body
  const s = session(node.url, ['BOLT-M8', undefined, undefined, undefined, undefined])
  await editItemInteractively(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), 'Nothing changed.')
  t.same((await api(node, 'GET', '/items/BOLT-M8')).body, before)
})

t.test("a unit change after movements is refused with the node's sentence", async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', reorderPoint: 0, onHand: 5 }])
  const s = session(node.url, ['BOLT-M8', undefined, 'box', undefined, undefined, true])
  await runAction(s.io, edit)
  t.same(s.unused(), [])
  t.match(s.lines.at(-1), /^✖ .*unit/i)
  t.notMatch(s.lines.at(-1), /CONFLICT|\{/)
  t.equal((await api(node, 'GET', '/items/BOLT-M8')).body.unit, 'ea')
})
