import prompts from 'prompts'
import t from 'tap'
import { issueGoods } from '../../../client/commands/issue.ts'
import type { Prompter } from '../../../client/io.ts'
import { runAction } from '../../../client/menu-loop.ts'
import { seed, session } from '../../fixtures/client-kit.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

const onHand = async (node: { url: string }) =>
  (await api(node, 'GET', '/stock/BOLT-M8')).body.onHand as number

t.test('Issue goods takes the quantity out and says what is left', async (t) => {
  const node = await startTestNode(t, { name: 'Madrid' })
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 100 }])
  const s = session(node.url, ['BOLT-M8', '40', 'WO-881', '', true])
  await issueGoods(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), '✔ Issued 40 ea of BOLT-M8 (WO-881). On hand now: 60 ea. Ledger entry #2.')
  t.equal(await onHand(node), 60)
})

t.test('more than is on hand is refused at the prompt, saying how much there is', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 10 }])
  const s = session(node.url, ['BOLT-M8', '50', '10', '', '', true])
  await issueGoods(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), 'The quantity must be at most 10: only 10 ea on hand')
  t.equal(await onHand(node), 0)
})

t.test('an item with nothing on hand is not asked about further', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
  const s = session(node.url, ['BOLT-M8'])
  await issueGoods(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), 'Nothing to issue: there are 0 ea of BOLT-M8 on hand.')
})

t.test(
  "stock issued elsewhere while the person confirms is refused with the node's sentence",
  async (t) => {
    const node = await startTestNode(t, { name: 'Madrid' })
    await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 10 }])
    const s = session(node.url, ['BOLT-M8', '8', '', '', true])
    // A colleague issues 5 while this person reads the confirmation.
    const racing = (async (question, options) => {
      if ((question as { type?: string }).type === 'confirm') {
        await api(node, 'POST', '/movements', { type: 'issue', sku: 'BOLT-M8', quantity: 5 })
      }
      return prompts(question, options)
    }) as Prompter
    s.io.prompts = racing
    await runAction(s.io, { key: 'issue', title: 'Issue goods', run: issueGoods })
    t.same(s.unused(), [])
    t.match(s.output(), '✖ Cannot issue 8 ea of BOLT-M8 in Madrid: only 5 ea on hand, short by 3')
    t.notMatch(s.output(), /INSUFFICIENT_STOCK|\{|at .*\.ts/, 'no code, JSON or stack')
    t.equal(await onHand(node), 5)
  }
)
