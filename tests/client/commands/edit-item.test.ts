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

t.test('the unit of an item with movements is not offered, and the reason is said', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', reorderPoint: 5, onHand: 5 }])
  // name, description and reorder point: no unit question in between
  const s = session(node.url, ['BOLT-M8', undefined, undefined, undefined])
  await runAction(s.io, edit)
  t.same(s.unused(), [])
  t.match(s.output(), 'Unit: ea. It cannot change: BOLT-M8 already has movements counted in ea.')
  t.equal(s.lines.at(-1), 'Nothing changed.')
})

t.test('the reorder point can be removed: "-" sends null, shown as none', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', reorderPoint: 50 }])
  const s = session(node.url, ['BOLT-M8', undefined, undefined, undefined, '-', true])
  const sent: unknown[] = []
  const real = s.io.api
  s.io.api = {
    ...real,
    get: real.get,
    async patch<T>(path: string, body: unknown) {
      sent.push(body)
      return { sku: 'BOLT-M8', name: 'Bolt M8 zinc' } as T
    },
  }
  await editItemInteractively(s.io)
  t.same(s.unused(), [])
  t.same(sent, [{ reorderPoint: null }])
  t.match(s.output(), /Reorder point: +50 → \(none\)/)
})
