import t from 'tap'
import { listItems, searchItems } from '../../../client/commands/items.ts'
import { seed, session } from '../../fixtures/client-kit.ts'
import { startTestNode } from '../../fixtures/test-node.ts'

t.test('List all items shows the catalogue as a table, a page at a time', async (t) => {
  const node = await startTestNode(t)
  await seed(
    node,
    Array.from({ length: 23 }, (_, i) => ({
      sku: `ITEM-${String(i + 1).padStart(2, '0')}`,
      name: `Item ${i + 1}`,
      reorderPoint: i,
    }))
  )
  const s = session(node.url, [false]) // after the first page: Back
  await listItems(s.io)
  t.same(s.unused(), [])
  const page = s.lines[0].split('\n')
  t.match(page[0], /^SKU +NAME +UNIT +REORDER AT +DESCRIPTION$/)
  t.equal(page.length, 21, 'a header and 20 rows')
  t.match(page[1], /^ITEM-01 +Item 1 +ea +0$/)
  t.notMatch(s.output(), 'ITEM-21', 'the next page only when asked')
})

t.test('Search finds items by part of their SKU, name or description', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [
    { sku: 'BOLT-M8', name: 'Bolt M8 zinc' },
    { sku: 'NUT-M8', name: 'Nut M8' },
    { sku: 'WASHER', name: 'Washer for bolts' },
  ])
  const s = session(node.url, ['bolt', 'zzz'])
  await searchItems(s.io)
  await searchItems(s.io)
  t.same(s.unused(), [])
  t.match(s.lines[0], /BOLT-M8[\s\S]*WASHER/)
  t.notMatch(s.lines[0], 'NUT-M8')
  t.match(s.output(), 'No item matches "zzz".')
})

t.test('an empty search is refused at the prompt', async (t) => {
  const node = await startTestNode(t)
  const s = session(node.url, ['  ', 'x'])
  await searchItems(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), 'The search must not be empty')
})
