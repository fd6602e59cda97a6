// Replication between real nodes (runtime, worker, SQLite, signed HTTP) in this process: every
// node keeps a replica of every other's ledger, caught up in pages and then kept live by the
// long-poll. Faults with real processes: tests/integration/replication-faults.test.ts.
import t from 'tap'
import { until } from '../fixtures/node-process.ts'
import { checkReplicas, replicasWhole } from '../fixtures/replica-check.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

const KEY = 'test-cluster-key-for-almacen-tests'

t.test('three nodes replicate each other, and a new movement is everywhere at once', async (t) => {
  const a = await startTestNode(t, { name: 'Norte', clusterKey: KEY })
  const b = await startTestNode(t, { name: 'Centro', clusterKey: KEY, join: [a.advertise] })
  const c = await startTestNode(t, { name: 'Sur', clusterKey: KEY, join: [b.advertise] })
  const nodes = [a, b, c]
  for (const [i, node] of nodes.entries()) {
    await api(node, 'POST', '/items', { sku: `SKU-${i}`, name: `Item ${i}`, unit: 'ea' })
    const receipts = Array.from({ length: 30 * (i + 1) }, () =>
      api(node, 'POST', '/movements', { type: 'receipt', sku: `SKU-${i}`, quantity: 2 })
    )
    await Promise.all(receipts)
  }
  const complete = async () =>
    (await checkReplicas(nodes, { complete: true })).every((r) => r.problems.length === 0)
  await until(complete, 15_000, 'every replica holds its owner ledger')
  t.equal((await replicasWhole(t, nodes)).length, 6)

  const { body } = await api(b, 'GET', `/replicas/${c.identity.id}`)
  t.match(body, {
    nodeId: c.identity.id,
    name: 'Sur',
    state: 'live',
    cursor: { ledger: { seq: 90 } },
  })

  const started = Date.now()
  await api(c, 'POST', '/movements', { type: 'issue', sku: 'SKU-2', quantity: 5 })
  const seen = (node: typeof a) => async () =>
    (await api(node, 'GET', `/replicas/${c.identity.id}`)).body.cursor.ledger.seq === 91
  await until(seen(a), 2000, 'A has it')
  await until(seen(b), 2000, 'B has it')
  t.ok(Date.now() - started < 1000, `in every replica ${Date.now() - started} ms after`)
})
