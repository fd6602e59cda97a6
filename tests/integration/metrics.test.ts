// GET /metrics as Prometheus scrapes it, on real nodes: the requests counted by route pattern and
// status, the worker's batches, the network as it stands (members, replicas, the outbox), the
// processes' own figures, and a worker restart.
import t from 'tap'
import { openLink } from '../fixtures/link.ts'
import { parseExposition, samplesOf, valueOf, type Exposition } from '../fixtures/metrics-text.ts'
import { QUICK_TIMING, until } from '../fixtures/node-process.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

const KEY = 'test-cluster-key-for-almacen-tests'
const REQUESTS = 'almacen_http_request_duration_seconds'

async function scrape(node: { url: string }): Promise<Exposition> {
  const reply = await api(node, 'GET', '/metrics')
  if (reply.status !== 200) throw new Error(`GET /metrics: ${reply.status} ${reply.body}`)
  return parseExposition(reply.body)
}

const count = (page: Exposition, method: string, route: string, status: string) =>
  valueOf(page, `${REQUESTS}_count`, { method, route, status })

t.test(
  'requests are counted by route pattern and status, with their times, and the batches they made',
  async (t) => {
    const node = await startTestNode(t)
    const first = await api(node, 'GET', '/metrics')
    t.equal(first.status, 200)
    t.match(first.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)

    t.equal(
      (await api(node, 'POST', '/items', { sku: 'BOLT', name: 'Bolt', unit: 'ea' })).status,
      201
    )
    t.equal((await api(node, 'GET', '/items/BOLT')).status, 200)
    t.equal((await api(node, 'GET', '/items/bolt')).status, 200)
    t.equal((await api(node, 'GET', '/items/NOPE')).status, 404)
    t.equal((await api(node, 'GET', '/no/such/path/x1')).status, 404)
    t.equal((await api(node, 'GET', '/no/such/path/x2')).status, 404)
    t.equal((await api(node, 'POST', '/items', 'not json')).status, 415)

    const page = await scrape(node)
    t.same(page.repeated, [], 'no family is declared twice (the worker and the runtime keep apart)')
    t.equal(page.types.get(REQUESTS), 'histogram')
    t.equal(count(page, 'POST', '/items', '201'), 1)
    t.equal(count(page, 'POST', '/items', '415'), 1)
    t.equal(count(page, 'GET', '/items/:sku', '200'), 2, 'two SKUs spelt apart, one route')
    t.equal(count(page, 'GET', '/items/:sku', '404'), 1)
    t.equal(count(page, 'GET', 'unmatched', '404'), 2, 'unknown paths under one label')
    t.equal(count(page, 'GET', '/metrics', '200'), 1, 'the scrape before this one')
    const routes = new Set(samplesOf(page, `${REQUESTS}_count`).map((s) => s.labels.route))
    t.same(
      [...routes].filter((r) => /BOLT|NOPE|such/i.test(r)),
      [],
      'no path is a label: only patterns'
    )

    const labels = { method: 'GET', route: '/items/:sku', status: '200' }
    const buckets = samplesOf(page, `${REQUESTS}_bucket`, labels)
    t.ok(buckets.length > 5, `${buckets.length} buckets`)
    t.equal(buckets.find((b) => b.labels.le === '+Inf')?.value, 2, 'every request in +Inf')
    const sum = valueOf(page, `${REQUESTS}_sum`, labels) as number
    t.ok(sum > 0 && sum < 10, `their time, ${sum} s in all`)

    // The worker's figures, read from it at the scrape.
    t.equal(valueOf(page, 'almacen_db_up'), 1)
    t.ok(
      (valueOf(page, 'almacen_db_batch_envelopes_count', { kind: 'write' }) ?? 0) >= 1,
      'the write batch of POST /items'
    )
    t.ok((valueOf(page, 'almacen_db_commit_seconds_count') ?? 0) >= 1, 'its commit timed')
    t.ok((valueOf(page, 'almacen_db_batch_seconds_count', { kind: 'read' }) ?? 0) >= 1)
    t.equal(valueOf(page, 'almacen_db_batch_failures_total'), 0)
    t.equal(
      valueOf(page, 'almacen_db_op_envelopes_total', { op: 'items.create' }),
      1,
      'where the worker spends its time, per operation: the one item created'
    )
    t.ok((valueOf(page, 'almacen_db_op_seconds_total', { op: 'items.create' }) ?? 0) > 0)
    t.equal(valueOf(page, 'almacen_worker_restarts_total'), 0)

    // The network as it stands: a node alone.
    for (const family of [
      'almacen_members',
      'almacen_replica_rows_behind',
      'almacen_outbox_pending_messages',
      'almacen_relay_lane_failures',
    ]) {
      t.equal(page.types.get(family), 'gauge', `${family} is there`)
    }
    t.equal(samplesOf(page, 'almacen_members').length, 4, 'one figure per member state')
    t.ok(valueOf(page, 'process_cpu_user_seconds_total') !== undefined, 'the process figures')
    t.ok(valueOf(page, 'nodejs_heap_size_used_bytes') !== undefined)
  }
)

t.test(
  'members by state, rows behind per replica and the outbox per peer, as they stand',
  async (t) => {
    const norte = await startTestNode(t, { name: 'Norte', clusterKey: KEY, timing: QUICK_TIMING })
    let surUrl = ''
    const toSur = await openLink(t, () => surUrl)
    const sur = await startTestNode(t, {
      name: 'Sur',
      clusterKey: KEY,
      timing: QUICK_TIMING,
      join: [norte.advertise],
      advertise: toSur.url,
    })
    surUrl = sur.url
    await until(
      async () => valueOf(await scrape(norte), 'almacen_members', { state: 'alive' }) === 2,
      10_000,
      'Norte counts both alive'
    )
    await api(norte, 'POST', '/items', { sku: 'ROPE', name: 'Rope', unit: 'm' })
    await api(norte, 'POST', '/movements', { type: 'receipt', sku: 'ROPE', quantity: 50 })
    // Caught up once the receipt is there: "0 behind" alone may be said before Sur has heard of
    // the receipt (a page of the item alone is whole), and the owner gathers a few commits into
    // one page (handlers/peer/feed.post.ts).
    const replicaOfNorte = async () =>
      (await api(sur, 'GET', `/replicas/${norte.identity.id}`)).body
    await until(
      async () => (await replicaOfNorte()).cursor.ledger.seq === 1,
      10_000,
      "Sur's replica of Norte holds the receipt"
    )
    const behind = { peer: norte.identity.id, name: 'Norte' }
    await until(
      async () => valueOf(await scrape(sur), 'almacen_replica_rows_behind', behind) === 0,
      10_000,
      'the metric says none behind'
    )
    t.match(await replicaOfNorte(), { cursor: { ledger: { seq: 1 } }, rowsBehind: 0 })

    // Sur unreachable: a transfer to it waits in Norte's outbox, and the lane says it fails.
    toSur.cut('refuse')
    const sent = await api(norte, 'POST', '/transfers', {
      to: 'Sur',
      lines: [{ sku: 'ROPE', quantity: 5 }],
    })
    t.equal(sent.status, 201)
    const lane = { peer: sur.identity.id, name: 'Sur' }
    await until(
      async () => (valueOf(await scrape(norte), 'almacen_relay_lane_failures', lane) ?? 0) >= 1,
      10_000,
      'the lane to Sur fails'
    )
    const cut = await scrape(norte)
    t.equal(valueOf(cut, 'almacen_outbox_pending_messages', lane), 1, 'one message waits for Sur')

    toSur.heal()
    await until(
      async () => {
        const page = await scrape(norte)
        return (
          valueOf(page, 'almacen_outbox_pending_messages', lane) === 0 &&
          valueOf(page, 'almacen_relay_lane_failures', lane) === 0
        )
      },
      15_000,
      'delivered once the link is back: the outbox empty, the lane well'
    )
    t.pass('the outbox to Sur drained')
  }
)

t.test('a worker that dies and is started again is counted, with its own figures', async (t) => {
  const node = await startTestNode(t, { worker: 'process' })
  const before = await scrape(node)
  t.same(before.repeated, [], "the worker's process figures are named apart from the runtime's")
  t.equal(valueOf(before, 'almacen_worker_restarts_total'), 0)
  t.ok(
    (valueOf(before, 'almacen_worker_process_resident_memory_bytes') ?? 0) > 0,
    "the worker process's own memory, apart from the runtime's"
  )
  const victim = node.worker.pid as number
  process.kill(victim, 'SIGKILL')
  await until(
    async () => node.worker.pid !== victim && (await api(node, 'GET', '/health')).status === 200,
    15_000,
    'a new worker serves'
  )
  const after = await scrape(node)
  t.equal(valueOf(after, 'almacen_worker_restarts_total'), 1)
  t.equal(valueOf(after, 'almacen_db_up'), 1)
})
