import t from 'tap'
import { api, startTestNode } from '../fixtures/test-node.ts'

t.test('a node hands its membership the timings it was configured with', async (t) => {
  const node = await startTestNode(t, {
    clusterKey: 'a-long-enough-cluster-key',
    timing: { joinTimeoutMs: 300, probeIntervalMs: 450 },
  })
  t.equal(node.membership.timing.probeIntervalMs, 450)
  t.equal(node.membership.timing.suspicionMs, 5000, 'the rest are the protocol defaults')
  // Nothing listens on port 9: the join gives up, and answers after the join timeout, not 3 s.
  const started = Date.now()
  const refused = await api(node, 'POST', '/members/join', { addresses: ['http://127.0.0.1:9'] })
  const ms = Date.now() - started
  t.equal(refused.status, 502)
  t.ok(ms >= 295 && ms < 2000, `answered after ${ms} ms`)
})
