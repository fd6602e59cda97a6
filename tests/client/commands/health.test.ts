import t from 'tap'
import { nodeHealth } from '../../../client/commands/health.ts'
import { session } from '../../fixtures/client-kit.ts'
import { startTestNode } from '../../fixtures/test-node.ts'

t.test('Health says the node and its database answer', async (t) => {
  const node = await startTestNode(t)
  const s = session(node.url, [])
  await nodeHealth(s.io)
  t.match(s.output(), /^✔ The node at .* is up and its database answers \(in [\d.]+ ms\)\.$/)
})
