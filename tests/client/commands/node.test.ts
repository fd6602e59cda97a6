import t from 'tap'
import { nodeIdentity } from '../../../client/commands/node.ts'
import { seed, session } from '../../fixtures/client-kit.ts'
import { startTestNode } from '../../fixtures/test-node.ts'

t.test('Identity says which warehouse and node this is and what it holds', async (t) => {
  const node = await startTestNode(t, { name: 'Sevilla' })
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt', onHand: 3 }])
  const s = session(node.url, [])
  await nodeIdentity(s.io)
  t.match(s.output(), /^Warehouse: +Sevilla$/m)
  t.match(s.output(), new RegExp(`^Node id: +${node.identity.id}$`, 'm'))
  t.match(s.output(), /^Items: +1\nMovements: +1$/m)
  t.match(s.output(), /^SQLite: .*journal wal, synchronous full$/m)
})
