import t from 'tap'
import { countItem } from '../../../client/commands/count.ts'
import { seed, session } from '../../fixtures/client-kit.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

t.test(
  'Count an item sets stock to what was counted, without showing the figure first',
  async (t) => {
    const node = await startTestNode(t)
    await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 160 }])
    const s = session(node.url, ['BOLT-M8', '158', 'CC-2026-11', 'aisle 4', true])
    await countItem(s.io)
    t.same(s.unused(), [])
    const [before] = s.output().split('✔')
    t.notMatch(before, /160/, 'the figure on record is not shown before the count')
    t.match(
      s.output(),
      '✔ Counted 158 ea of BOLT-M8 (CC-2026-11): the records said 160 ea, adjusted by -2 ea. Ledger entry #2.'
    )
    t.match((await api(node, 'GET', '/movements?sku=BOLT-M8&limit=1')).body.movements, [
      { type: 'adjustment', countedQuantity: 158, delta: -2, note: 'aisle 4' },
    ])
  }
)

t.test('a count of zero is allowed, and a count that matches is recorded as a check', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [
    { sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 7 },
    { sku: 'NUT-M8', name: 'Nut M8', onHand: 3 },
  ])
  const s = session(node.url, ['BOLT-M8', '0', '', '', true, 'NUT-M8', '3', '', '', true])
  await countItem(s.io)
  await countItem(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), 'Counted 0 ea of BOLT-M8: the records said 7 ea, adjusted by -7 ea.')
  t.match(s.output(), 'Counted 3 ea of NUT-M8: it matches the records, nothing to adjust.')
  t.equal((await api(node, 'GET', '/stock/BOLT-M8')).body.onHand, 0)
})

t.test('a count that is negative or not whole is refused at the prompt', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 7 }])
  const s = session(node.url, ['BOLT-M8', '-1', '2.5', '6', '', '', true])
  await countItem(s.io)
  t.same(s.unused(), [])
  t.equal(
    s.lines.filter((l) => l.includes('The count must be a whole number, zero or more')).length,
    2
  )
  t.equal((await api(node, 'GET', '/stock/BOLT-M8')).body.onHand, 6)
})
