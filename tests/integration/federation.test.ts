// Federation between real warehouses (each its own processes, reached through a link a test can
// cut): an ERP subscribed to stock.> at Sevilla receives the movements made at Madrid, those made
// while the link was cut included, once each and in order; a topic federated both ways comes back
// to no one (no loop); a node that cannot be reached keeps its messages waiting, not lost.
import t from 'tap'
import { until } from '../fixtures/node-process.ts'
import { api } from '../fixtures/test-node.ts'
import { allAlive, node, start, warehouses } from '../fixtures/warehouses.ts'

type Message = { id: string; body: any; headers: Record<string, string>; receipt: string }

async function receiveAll(at: { url: string }, queue: string, want: number): Promise<Message[]> {
  const got: Message[] = []
  await until(
    async () => {
      const reply = await api(at, 'POST', `/queues/${queue}/receive`, { max: 50, waitMs: 500 })
      const messages = reply.body.messages as Message[]
      if (messages.length) {
        got.push(...messages)
        await api(at, 'POST', `/queues/${queue}/ack`, { receipts: messages.map((m) => m.receipt) })
      }
      return got.length >= want
    },
    30_000,
    `${want} messages on ${queue}`
  )
  return got
}

t.test(
  "an ERP at Sevilla gets Madrid's movements through a cut link, once each, in order",
  async (t) => {
    const [madrid, sevilla] = await warehouses(t, ['Madrid', 'Sevilla'])
    await start(t, madrid)
    await start(t, sevilla, [madrid])
    await allAlive([madrid, sevilla])
    const m = node(madrid)
    const s = node(sevilla)

    t.match(await api(m, 'POST', '/federations', { pattern: 'stock.>', peers: ['Sevilla'] }), {
      status: 200,
      body: { pattern: 'stock.>', peers: ['Sevilla'] },
    })
    t.match(await api(m, 'POST', '/federations', { pattern: 'x', peers: ['Nowhere'] }), {
      status: 400,
      body: { error: /no member of this network is named Nowhere/ },
    })
    const sub = await api(s, 'POST', `/topics/${encodeURIComponent('stock.>')}/subscriptions`, {
      name: 'erp',
    })
    t.equal(sub.status, 201)

    await api(m, 'POST', '/items', { sku: 'BOLT-M8', name: 'Bolt', unit: 'ea' })
    await api(m, 'POST', '/movements', { type: 'receipt', sku: 'BOLT-M8', quantity: 100 })
    const [first] = await receiveAll(s, 'erp', 1)
    t.match(first, {
      body: {
        type: 'movement.recorded',
        subject: 'BOLT-M8',
        data: { type: 'receipt', quantity: 100 },
      },
      headers: { 'x-topic': 'stock.BOLT-M8', 'x-origin': madrid.id, 'x-origin-name': 'Madrid' },
    })

    // Sevilla cut off: Madrid keeps working; its messages wait in its outbox.
    sevilla.link.cut('refuse')
    for (let n = 1; n <= 5; n++) {
      const issued = await api(m, 'POST', '/movements', {
        type: 'issue',
        sku: 'BOLT-M8',
        quantity: n,
      })
      t.equal(issued.status, 201, 'Madrid records while cut off')
    }
    await until(
      async () => {
        const { body } = await api(m, 'GET', '/network/lanes')
        return body.lanes.some(
          (l: { name: string; pending: number }) => l.name === 'Sevilla' && l.pending >= 5
        )
      },
      10_000,
      "the five wait in Madrid's outbox"
    )
    sevilla.link.heal()
    const after = await receiveAll(s, 'erp', 5)
    t.same(
      after.map((msg) => msg.body.data.quantity),
      [1, 2, 3, 4, 5],
      'each once, in the order they were made'
    )
    t.equal(new Set(after.map((msg) => msg.id)).size, 5)
    t.match((await api(s, 'GET', '/queues/erp')).body, { ready: 0, inFlight: 0 })
    // Sevilla's own events are on its own topics: the subscription gets them too, unmarked.
    await api(s, 'POST', '/items', { sku: 'NUT', name: 'Nut', unit: 'ea' })
    await api(s, 'POST', '/movements', { type: 'receipt', sku: 'NUT', quantity: 3 })
    const [own] = await receiveAll(s, 'erp', 1)
    t.match(own, { body: { subject: 'NUT' }, headers: { 'x-topic': 'stock.NUT' } })
    t.notOk('x-origin' in own.headers)
  }
)

t.test(
  'a topic federated both ways reaches the other side once and never comes back',
  async (t) => {
    const [madrid, sevilla] = await warehouses(t, ['Madrid', 'Sevilla'])
    await start(t, madrid)
    await start(t, sevilla, [madrid])
    await allAlive([madrid, sevilla])
    for (const w of [madrid, sevilla]) {
      t.equal((await api(node(w), 'POST', '/topics', { name: 'orders' })).status, 201)
      t.equal((await api(node(w), 'POST', '/federations', { pattern: 'orders' })).status, 200)
      await api(node(w), 'POST', '/topics/orders/subscriptions', { name: 'orders-here' })
    }
    await api(node(madrid), 'POST', '/topics/orders/messages', { id: 'o-1', body: { n: 1 } })
    await api(node(sevilla), 'POST', '/topics/orders/messages', { id: 'o-2', body: { n: 2 } })
    const atMadrid = await receiveAll(node(madrid), 'orders-here', 2)
    const atSevilla = await receiveAll(node(sevilla), 'orders-here', 2)
    t.same(atMadrid.map((m) => m.body.n).sort(), [1, 2])
    t.same(atSevilla.map((m) => m.body.n).sort(), [1, 2])
    // Had either sent the other's message back, each would hold three.
    await until(
      async () =>
        (await api(node(madrid), 'GET', '/network/lanes')).body.lanes.every(
          (l: { pending: number }) => l.pending === 0
        ),
      10_000,
      "Madrid's outbox empty"
    )
    await until(
      async () =>
        (await api(node(sevilla), 'GET', '/network/lanes')).body.lanes.every(
          (l: { pending: number }) => l.pending === 0
        ),
      10_000,
      "Sevilla's outbox empty"
    )
    for (const w of [madrid, sevilla]) {
      t.match(
        (await api(node(w), 'GET', '/topics/orders')).body,
        { messages: 2 },
        `${w.name} keeps two`
      )
      t.match((await api(node(w), 'GET', '/queues/orders-here')).body, { ready: 0, inFlight: 0 })
    }
  }
)
