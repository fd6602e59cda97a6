import t from 'tap'
import { receiveGoods } from '../../../client/commands/receive.ts'
import { runAction } from '../../../client/menu-loop.ts'
import { MENUS } from '../../../client/menus.ts'
import { droppingProxy } from '../../fixtures/dropping-proxy.ts'
import { almacen, closedPort, CTRL_C, seed, session } from '../../fixtures/client-kit.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

const ledger = async (node: { url: string }) =>
  (await api(node, 'GET', '/movements?sku=BOLT-M8&order=asc')).body.movements

t.test(
  'Receive goods records a receipt of the chosen item and says what is on hand now',
  async (t) => {
    const node = await startTestNode(t)
    await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 10 }])
    const s = session(node.url, ['BOLT-M8', '200', 'PO-17', 'pallet 3', true])
    await receiveGoods(s.io)
    t.same(s.unused(), [])
    t.match(s.output(), '  On hand now: 10 ea')
    t.match(
      s.output(),
      '✔ Received 200 ea of BOLT-M8 (PO-17). On hand now: 210 ea. Ledger entry #2.'
    )
    t.match((await ledger(node))[1], {
      type: 'receipt',
      quantity: 200,
      reference: 'PO-17',
      note: 'pallet 3',
    })
  }
)

t.test('a quantity of zero or a fraction is refused at the prompt and asked again', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
  const s = session(node.url, ['BOLT-M8', '0', '1.5', '5', '', '', true])
  await receiveGoods(s.io)
  t.same(s.unused(), [])
  const refusals = s.lines.filter((l) => l.includes('must be a whole number greater than zero'))
  t.equal(refusals.length, 2)
  t.match(await ledger(node), [{ quantity: 5, reference: '', note: '' }])
})

t.test('a SKU that does not exist is named and the item asked again', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
  const s = session(node.url, ['NUT-M9', 'BOLT-M8', '1', '', '', true])
  await receiveGoods(s.io)
  t.same(s.unused(), [])
  t.match(s.output(), 'No item with SKU NUT-M9.')
  t.equal((await ledger(node)).length, 1)
})

t.test('saying no at the confirmation, or Ctrl-C on the way, records nothing', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
  const declined = session(node.url, ['BOLT-M8', '5', '', '', false])
  await receiveGoods(declined.io)
  t.match(declined.output(), 'Nothing recorded.')
  const interrupted = session(node.url, ['BOLT-M8', CTRL_C])
  const receive = MENUS[0].actions.find((a) => a.key === 'receive')!
  await runAction(interrupted.io, receive)
  t.match(interrupted.output(), 'Cancelled: nothing was recorded.')
  t.same(interrupted.unused(), [])
  t.same(await ledger(node), [])
})

t.test('an answer lost on the way back is retried on request and recorded once', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
  let posts = 0
  const proxy = await droppingProxy(t, node.url, (req) => req.method === 'POST' && ++posts === 1)
  // the first POST's answer is lost; the person is asked, says "try again"
  const s = session(proxy.url, ['BOLT-M8', '40', 'PO-17', '', true, true])
  await receiveGoods(s.io)
  t.same(s.unused(), [])
  t.match(
    s.output(),
    /✖ Cannot reach the almacen node at .* \(connection closed before the answer\)/
  )
  t.match(s.output(), '✔ Received 40 ea of BOLT-M8 (PO-17). On hand now: 40 ea. Ledger entry #1.')
  const sent = proxy.seen.filter((r) => r.method === 'POST')
  t.equal(sent.length, 2, 'sent twice')
  t.equal(sent[1].key, sent[0].key, 'with the same Idempotency-Key')
  t.match(await ledger(node), [{ quantity: 40 }])
  t.equal((await ledger(node)).length, 1, 'recorded once')
})

t.test(
  'a receive whose look-up gets no answer says nothing was sent: safe to run again as it is',
  async (t) => {
    const run = await almacen([
      'receive',
      'BOLT-M8',
      '1',
      '--url',
      await closedPort(),
      '--timeout',
      '1',
    ])
    t.equal(run.code, 3)
    t.match(
      run.stderr,
      /Cannot reach the almacen node.*\nalmacen: nothing was sent, so nothing changed\.\n$/
    )
    t.notMatch(run.stderr, /--key|outcome is unknown/)
  }
)
