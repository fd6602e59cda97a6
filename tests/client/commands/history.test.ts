import t from 'tap'
import { itemHistory } from '../../../client/commands/history.ts'
import { seed, session } from '../../fixtures/client-kit.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

t.test('History of an item shows its movements newest first, a page at a time', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [
    { sku: 'BOLT-M8', name: 'Bolt M8 zinc' },
    { sku: 'NUT-M8', name: 'Nut' },
  ])
  for (let n = 1; n <= 24; n++) {
    await api(node, 'POST', '/movements', {
      type: 'receipt',
      sku: 'BOLT-M8',
      quantity: n,
      reference: `PO-${n}`,
    })
  }
  await api(node, 'POST', '/movements', { type: 'receipt', sku: 'NUT-M8', quantity: 1 })
  const s = session(node.url, ['BOLT-M8', true])
  await itemHistory(s.io)
  t.same(s.unused(), [])
  const [first, second] = s.lines.filter((l) => /^ *#  WHEN/.test(l))
  t.ok(first && second, 'two pages')
  const firstRows = first.split('\n').slice(1)
  t.equal(firstRows.length, 20)
  t.match(firstRows[0], /^24 .* BOLT-M8 +receipt +\+24 +300 +admin +PO-24$/)
  t.equal(second.split('\n').length - 1, 4)
  t.match(second.split('\n').at(-1), /^1  .* \+1 +1 +admin +PO-1$/)
  t.notMatch(s.output(), 'NUT-M8', "only that item's movements")
})

t.test('an item without movements says so', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
  const s = session(node.url, ['BOLT-M8'])
  await itemHistory(s.io)
  t.match(s.output(), 'No movements of BOLT-M8 yet.')
})
