import t from 'tap'
import { createApi } from '../../client/api.ts'
import { Cancelled } from '../../client/errors.ts'
import { exactItem, pickItem, suggestItems } from '../../client/pick-item.ts'
import { CTRL_C, seed, session } from '../fixtures/client-kit.ts'
import { startTestNode } from '../fixtures/test-node.ts'
import { tokenOf } from '../fixtures/tokens.ts'

t.test('suggestions are the items matching what was typed, SKUs aligned', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [
    { sku: 'BOLT-M8', name: 'Bolt M8 zinc' },
    { sku: 'BOLT-M10', name: 'Bolt M10 zinc' },
    { sku: 'NUT-M8', name: 'Nut M8' },
  ])
  const suggest = suggestItems(createApi({ url: node.url, token: tokenOf(node.url) }))
  t.same(await suggest('bolt'), [
    { title: 'BOLT-M10  Bolt M10 zinc', value: 'BOLT-M10' },
    { title: 'BOLT-M8   Bolt M8 zinc', value: 'BOLT-M8' },
  ])
  t.equal((await suggest('')).length, 3, 'everything, before anything is typed')
  t.same(await suggest('washer'), [])
})

t.test('no more than ten suggestions are asked for', async (t) => {
  const node = await startTestNode(t)
  await seed(
    node,
    Array.from({ length: 12 }, (_, i) => ({ sku: `S-${i}`, name: `Screw ${i}` }))
  )
  t.equal(
    (await suggestItems(createApi({ url: node.url, token: tokenOf(node.url) }))('screw')).length,
    10
  )
})

t.test('a node that does not answer shows as one suggestion that is not a SKU', async (t) => {
  const suggestions = await suggestItems(createApi({ url: 'http://127.0.0.1:9' }))('bolt')
  t.match(suggestions, [{ title: '(the node does not answer: press Enter)' }])
})

t.test(
  'an exact look-up tells an item the node has not from a node that does not answer',
  async (t) => {
    const node = await startTestNode(t)
    await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
    const exact = exactItem(createApi({ url: node.url, token: tokenOf(node.url) }))
    t.same(await exact('BOLT-M8'), { title: 'BOLT-M8  Bolt M8 zinc', value: 'BOLT-M8' })
    t.equal(await exact('M8'), undefined, 'no such item')
    const away = exactItem(createApi({ url: 'http://127.0.0.1:9', timeoutMs: 500 }))
    await t.rejects(away('BOLT-M8'), 'no answer is not "no such item"')
  }
)

t.test(
  'picking returns the item with its stock; nothing chosen is explained and asked again',
  async (t) => {
    const node = await startTestNode(t)
    await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 4 }])
    const s = session(node.url, [undefined, 'BOLT-M8'])
    t.match(await pickItem(s.io, 'Which item?'), { sku: 'BOLT-M8', unit: 'ea', onHand: 4 })
    t.match(s.output(), 'No item chosen: type part of its SKU or name')
    t.same(s.unused(), [])
  }
)

t.test(
  'with an empty catalogue there is nothing to pick, and the person is told why',
  async (t) => {
    const node = await startTestNode(t)
    const s = session(node.url, [undefined])
    await t.rejects(pickItem(s.io, 'Which item?'), Cancelled)
    t.match(s.output(), 'The catalogue is empty: add an item first (Items › Add an item).')
  }
)

t.test('Ctrl-C while picking goes back', async (t) => {
  const node = await startTestNode(t)
  const s = session(node.url, [CTRL_C])
  await t.rejects(pickItem(s.io, 'Which item?'), Cancelled)
  // The catalogue is empty too, which also ends in Cancelled, but only after saying so.
  t.same(s.lines, [], 'nothing said: it simply goes back')
})
