import t from 'tap'
import { api, startTestNode } from '../fixtures/test-node.ts'

t.test('closing a node finishes the request in flight before the worker stops', async (t) => {
  const node = await startTestNode(t)
  await api(node, 'POST', '/items', { sku: 'HOSE', name: 'Hose', unit: 'm' })
  const worker = node.worker.pid as number
  process.kill(worker, 'SIGSTOP')
  const inFlight = api(node, 'POST', '/movements', { type: 'receipt', sku: 'HOSE', quantity: 12 })
  for (let i = 0; i < 200 && node.db.inFlight === 0; i++)
    await new Promise((r) => setTimeout(r, 10))
  t.equal(node.db.inFlight, 1, 'the receipt is waiting on the worker')

  const closed = node.close()
  process.kill(worker, 'SIGCONT')
  t.match(
    await inFlight,
    { status: 201, body: { balanceAfter: 12 } },
    'it is answered, not cut off'
  )
  await closed
  await t.rejects(fetch(`${node.url}/health`), 'the node no longer listens')
  t.throws(() => process.kill(worker, 0), 'the worker has exited')
})
