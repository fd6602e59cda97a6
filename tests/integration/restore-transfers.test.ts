// A warehouse whose disk died with a transfer on the road, its dispatch still in its outbox (the
// receiver cut off): restored from a third warehouse's replica of its log, with every node a real
// process, it has the transfer back as it stood, tells the receiver again, and the transfer ends
// as any other. After it, the checkers (tests/fixtures/transfer-check.ts).
import { rm } from 'node:fs/promises'
import t from 'tap'
import { until } from '../fixtures/node-process.ts'
import { api } from '../fixtures/test-node.ts'
import {
  allAlive,
  judge,
  kill,
  node,
  outboxesDrained,
  start,
  stock,
  transferAt,
  warehouses,
} from '../fixtures/warehouses.ts'

t.test(
  'a sender restored from a replica has its transfer in transit again, and the receiver hears of it once',
  async (t) => {
    const [norte, sur, centro] = await warehouses(t, ['Norte', 'Sur', 'Centro'])
    await start(t, norte)
    await start(t, sur, [norte])
    await start(t, centro, [norte])
    await allAlive([norte, sur, centro])
    await stock(norte, ['BOLT'], 100)

    sur.link.cut()
    const sent = await api(node(norte), 'POST', '/transfers', {
      to: 'Sur',
      lines: [{ sku: 'BOLT', quantity: 10 }],
      reference: 'PO-9',
    })
    t.equal(sent.status, 201)
    const id = sent.body.id as string
    // Centro's replica of Norte holds the whole log: the transfer's row and its record.
    const head = (await api(node(norte), 'GET', '/events?limit=1')).body.head as number
    await until(
      async () =>
        (await api(node(centro), 'GET', `/replicas/${norte.id}`)).body.cursor?.events >= head,
      20_000,
      "Centro holds Norte's log"
    )
    t.match(await transferAt(norte, id), {
      state: 'in_transit',
      messages: [{ kind: 'transfer.dispatched', deliveredAt: null }],
    })

    // Norte's disk dies; it starts empty and restores from Centro.
    await kill(norte)
    await rm(norte.dir, { recursive: true, force: true })
    await start(t, norte, [centro], undefined, ['--restore'])
    await until(
      async () => (await api(node(norte), 'GET', '/node')).status === 200,
      60_000,
      'Norte restored'
    )
    t.equal((await api(node(norte), 'GET', '/node')).body.id, norte.id, 'the same node')
    t.match((await api(node(norte), 'GET', '/ledger/restore')).body, {
      transfers: { rebuilt: 1, toldAgain: 1 },
    })
    t.match(
      await transferAt(norte, id),
      {
        state: 'in_transit',
        reference: 'PO-9',
        lines: [{ sku: 'BOLT', sent: 10, inTransit: 10 }],
        messages: [{ kind: 'transfer.dispatched', direction: 'outbound' }],
      },
      'the transfer as it stood, its dispatch queued again'
    )
    t.match((await api(node(norte), 'GET', '/stock/BOLT')).body, { onHand: 90, inTransit: 10 })

    sur.link.heal()
    await until(
      async () => (await transferAt(sur, id))?.state === 'announced',
      30_000,
      'Sur hears of the transfer'
    )
    const received = await api(node(sur), 'POST', `/transfers/${id}/receive`, {
      receiptId: 'GRN-9',
      lines: [{ sku: 'BOLT', received: 10 }],
      final: true,
    })
    t.equal(received.status, 200)
    await until(
      async () => (await transferAt(norte, id))?.state === 'closed',
      30_000,
      'Norte hears of the receipt'
    )
    t.match(await transferAt(norte, id), { outcome: 'delivered' })
    t.match((await api(node(sur), 'GET', '/stock/BOLT')).body, { onHand: 10 })
    await until(() => outboxesDrained([norte, sur, centro]), 30_000, 'every outbox drained')
    t.same(await judge([norte, sur, centro], { acknowledged: [id] }), [])
  }
)
