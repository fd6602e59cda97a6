// kill -9 of the sending warehouse's worker at the named failpoints of POST /transfers
// (lib/failpoint.ts): before its transaction commits, and after it committed but before the
// reply. The client retries with the same Idempotency-Key once the worker is back: the transfer
// exists exactly once, its goods left exactly once, its dispatch is queued exactly once.
// (About 10 s a case: a real worker process is killed and the supervisor starts another.)
import t from 'tap'
import { parseFailpoints } from '../../lib/failpoint.ts'
import type { RunningNode } from '../../runtime/node.ts'
import { QUICK_TIMING, until } from '../fixtures/node-process.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

const KEY = 'test-cluster-key-for-almacen-tests'

t.test('ALMACEN_FAILPOINT names failpoints as name:kill, and refuses anything else', async (t) => {
  t.same(
    [...parseFailpoints('transfers.create.after-post:kill, inbox.after-apply')],
    [
      ['transfers.create.after-post', 'kill'],
      ['inbox.after-apply', 'kill'],
    ]
  )
  t.same([...parseFailpoints(undefined)], [])
  t.throws(() => parseFailpoints('x:pause'), {
    message: 'ALMACEN_FAILPOINT: "x:pause" is not name:kill',
  })
})

/** A sender whose worker process has `failpoint` armed (its restarts do not), and a receiver. */
async function armed(t: Parameters<typeof startTestNode>[0], failpoint: string) {
  const sur = await startTestNode(t, { name: 'Sur', clusterKey: KEY, timing: QUICK_TIMING })
  process.env.ALMACEN_FAILPOINT = `${failpoint}:kill`
  let norte: RunningNode
  try {
    norte = await startTestNode(t, {
      name: 'Norte',
      clusterKey: KEY,
      timing: QUICK_TIMING,
      join: [sur.advertise],
      worker: 'process',
    })
  } finally {
    delete process.env.ALMACEN_FAILPOINT
  }
  await until(
    async () => (await api(norte, 'GET', '/members')).body.members?.length === 2,
    10_000,
    'joined'
  )
  await api(norte, 'POST', '/items', { sku: 'ROPE', name: 'Rope', unit: 'm' })
  await api(norte, 'POST', '/movements', { type: 'receipt', sku: 'ROPE', quantity: 50 })
  return { norte, sur }
}

for (const [failpoint, when] of [
  ['transfers.create.after-post', 'before its transaction commits'],
  ['transfers.create.after-commit', 'after it committed, before the reply'],
] as const) {
  t.test(`a worker killed ${when} (${failpoint}): the retry sends the goods once`, async (t) => {
    const { norte } = await armed(t, failpoint)
    const victim = norte.worker.pid
    const body = { to: 'Sur', lines: [{ sku: 'ROPE', quantity: 10 }] }
    const key = { 'idempotency-key': 'send-rope-1' }
    const cut = await api(norte, 'POST', '/transfers', body, key)
    t.match(cut, { status: 503, body: { code: 'DB_UNAVAILABLE' } }, 'cut off, not acknowledged')
    await until(
      async () =>
        norte.worker.pid !== victim && (await api(norte, 'GET', '/health')).status === 200,
      15_000,
      'the worker restarted'
    )
    const retried = await api(norte, 'POST', '/transfers', body, key)
    t.equal(retried.status, 201)
    t.equal(
      retried.headers.get('idempotent-replayed'),
      failpoint.endsWith('after-commit') ? 'true' : null,
      'replayed only if the first attempt committed'
    )
    const { transfers } = (await api(norte, 'GET', '/transfers')).body
    t.equal(transfers.length, 1, 'one transfer')
    const rows = (await api(norte, 'GET', '/movements?type=transfer_out')).body.movements
    t.equal(rows.length, 1, 'one transfer_out row')
    t.match(await api(norte, 'GET', '/stock/ROPE'), {
      body: { onHand: 40, inTransit: 10, sent: 10 },
    })
    const detail = (await api(norte, 'GET', `/transfers/${transfers[0].id}`)).body
    t.equal(detail.messages.length, 1, 'one dispatch in the outbox')
    t.match((await api(norte, 'POST', '/ledger/verify')).body, { ok: true })
  })
}
