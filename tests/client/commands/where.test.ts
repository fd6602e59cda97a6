// Where is it? and `almacen where`, against real nodes of one network.
import t from 'tap'
import { incompleteLine, whereIsIt } from '../../../client/commands/where.ts'
import type { NetworkStockOne } from '../../../api/index.ts'
import { almacen, seed, session, startNetwork, untilSeen } from '../../fixtures/client-kit.ts'
import { api } from '../../fixtures/test-node.ts'

const BOLT = { sku: 'BOLT-M8', name: 'Bolt M8', reorderPoint: 50 }

t.test('Where is it? shows each warehouse with its figure, live, and the total', async (t) => {
  const [madrid, sevilla] = await startNetwork(t, ['Madrid', 'Sevilla'])
  await seed(madrid, [{ ...BOLT, onHand: 120 }])
  await seed(sevilla, [{ ...BOLT, onHand: 30 }])
  const s = session(madrid.url, ['bolt-m8', ''])
  await whereIsIt(s.io)
  t.same(s.unused(), [])
  t.same(s.lines, [
    'BOLT-M8 Bolt M8: 2 warehouses',
    [
      'WAREHOUSE           ON HAND  UNIT  LOW  SOURCE',
      'Madrid (this node)      120  ea         live',
      'Sevilla                  30  ea    low  live',
    ].join('\n'),
    'Total: 150 ea',
  ])

  // Goods on the road count: sent from Madrid, not yet received at Sevilla.
  const sent = await api(madrid, 'POST', '/transfers', {
    to: 'Sevilla',
    lines: [{ sku: 'BOLT-M8', quantity: 20 }],
  })
  t.equal(sent.status, 201)
  // Two codes scanned one after the other, each answered; Enter on nothing goes back.
  const road = session(madrid.url, ['BOLT-M8', 'NUT-M8', ''])
  await whereIsIt(road.io)
  t.same(road.unused(), [])
  t.match(road.lines, [
    'BOLT-M8 Bolt M8: 2 warehouses',
    /./,
    'Total: 130 ea, and 20 ea in transit: 150 ea in all',
    '✖ No warehouse has an item NUT-M8',
  ])
})

t.test(
  'almacen where exits 0 when every warehouse answered live, and 1 with a warning that cannot be missed when one did not',
  async (t) => {
    const [madrid, sevilla] = await startNetwork(t, ['Madrid', 'Sevilla', 'Cadiz'])
    await seed(madrid, [{ ...BOLT, onHand: 120 }])
    await seed(sevilla, [{ ...BOLT, unit: 'box', onHand: 3 }])
    const whole = await almacen(['where', 'BOLT-M8', '--url', madrid.url])
    t.equal(whole.code, 0, whole.stderr)
    t.match(whole.stdout, /^Cadiz +not stocked +live$/m)
    t.match(whole.stdout, /^Sevilla +3 +box +low +live$/m)
    t.match(
      whole.stdout,
      'Total: the warehouses count it in different units, not added together: 3 box (1 warehouse), 120 ea (1 warehouse)'
    )
    t.notMatch(whole.stdout, 'INCOMPLETE')

    await sevilla.close() // it leaves the network
    await untilSeen(madrid, { Sevilla: 'left' }, 'Madrid hears that Sevilla left')
    const partial = await almacen(['where', 'BOLT-M8', '--url', madrid.url])
    t.equal(partial.code, 1)
    t.match(partial.stdout, /^Sevilla +3 +box +low +REPLICA, \d+ s old: left the network$/m)
    t.match(partial.stdout, 'Total: the warehouses count it in different units')
    t.match(
      partial.stdout,
      /^!! INCOMPLETE: 2 of 3 warehouses answered live, 1 from a replica\. The total may be wrong\.$/m
    )
    const json = await almacen(['where', 'BOLT-M8', '--json', '--url', madrid.url])
    t.equal(json.code, 1)
    t.match(JSON.parse(json.stdout), {
      sku: 'BOLT-M8',
      complete: false,
      counts: { total: 3, live: 2, replica: 1, missing: 0 },
      warehouses: [{ node: { name: 'Madrid', self: true }, source: 'live' }, {}, {}],
    })
  }
)

t.test('almacen where refuses a bad SKU (exit 2) and an unknown one (exit 1)', async (t) => {
  const [madrid] = await startNetwork(t, ['Madrid'])
  const bad = await almacen(['where', 'no sku!', '--url', madrid.url])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /SKU/)
  const missing = await almacen(['where', 'GHOST', '--url', madrid.url])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /No warehouse has an item GHOST/)
})

t.test('the warning counts a disputed warehouse, answered live or not', async (t) => {
  const warehouse = (name: string, disputed: string | null) => ({
    node: { id: name, name, self: false },
    source: 'live' as const,
    reason: null,
    ledger: { seq: 1, hash: 'a'.repeat(64) },
    asOf: null,
    ageMs: 0,
    rowsBehind: 0,
    detail: null,
    truncated: false,
    disputed,
  })
  const answer = {
    complete: false,
    timedOut: false,
    deadlineMs: 2000,
    counts: { total: 2, live: 2, replica: 0, missing: 0 },
    warehouses: [warehouse('Madrid', null), warehouse('Bilbao', 'its writes are halted: …')],
  } as unknown as NetworkStockOne
  t.equal(
    incompleteLine(answer),
    '!! INCOMPLETE: 2 of 2 warehouses answered live, 1 disputed (its ledger halted, or its copy here broke). The total may be wrong.'
  )
})
