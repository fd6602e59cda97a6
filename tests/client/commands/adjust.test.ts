import t from 'tap'
import { adjustItem } from '../../../client/commands/adjust.ts'
import { seed, session } from '../../fixtures/client-kit.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

t.test('Adjust by a difference records a signed correction with its reason', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 50 }])
  const s = session(node.url, [
    'BOLT-M8',
    '-2',
    '',
    'damaged',
    true,
    'BOLT-M8',
    '+5',
    '',
    'found',
    true,
  ])
  await adjustItem(s.io)
  await adjustItem(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), '✔ Adjusted BOLT-M8 by -2 ea. On hand now: 48 ea. Ledger entry #2.')
  t.match(s.output(), '✔ Adjusted BOLT-M8 by +5 ea. On hand now: 53 ea. Ledger entry #3.')
  t.match((await api(node, 'GET', '/movements?sku=BOLT-M8&order=asc')).body.movements, [
    {},
    { type: 'adjustment', delta: -2, note: 'damaged' },
    { type: 'adjustment', delta: 5, note: 'found' },
  ])
})

t.test(
  'zero, a number without its sign, or taking away more than is on hand, is refused at the prompt',
  async (t) => {
    const node = await startTestNode(t)
    await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 3 }])
    const s = session(node.url, ['BOLT-M8', '0', '3', '-4', '-3', '', '', true])
    await adjustItem(s.io)
    t.same(s.unused(), [])
    t.equal(
      s.lines.filter((l) =>
        l.includes('The change must be + or - and a whole number other than zero')
      ).length,
      2,
      'zero, and a number without its sign'
    )
    t.match(s.output(), 'The change must not take away more than the 3 on hand')
    t.equal((await api(node, 'GET', '/stock/BOLT-M8')).body.onHand, 0)
  }
)
