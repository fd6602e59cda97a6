// Transfers between warehouses as their staff use them, each warehouse a real node (runtime and
// worker processes) reached by its peer through a link it advertises: sent, in transit, received
// with a loss, closed; sent while the destination is down; sent and received across a cut link;
// cancelled with the receiver's agreement, and refused once received. After each, the checkers
// (tests/fixtures/transfer-check.ts): conservation, exactly once per transfer.
import { randomUUID } from 'node:crypto'
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
  type Warehouse,
} from '../fixtures/warehouses.ts'

let keys = 0
const key = () => ({ 'idempotency-key': `transfers-test-${process.pid}-${++keys}` })

/** Norte holds 100 BOLT and 100 NUT; Sur holds nothing and has no such items. */
async function pair(t: { teardown(fn: () => unknown): void }) {
  const [norte, sur] = await warehouses(t, ['Norte', 'Sur'])
  await start(t, norte)
  await start(t, sur, [norte])
  await allAlive([norte, sur])
  await stock(norte, ['BOLT', 'NUT'], 100)
  return { norte, sur }
}

async function send(from: Warehouse, body: unknown) {
  const sent = await api(node(from), 'POST', '/transfers', body, key())
  if (sent.status !== 201) throw new Error(`POST /transfers: ${sent.status} ${sent.body?.error}`)
  return sent.body
}

const state = (w: Warehouse, id: string) => async () => (await transferAt(w, id))?.state

t.test(
  'a transfer sent, in transit, received with a loss and closed; the company figure right throughout',
  async (t) => {
    const { norte, sur } = await pair(t)
    const sent = await send(norte, {
      to: 'Sur',
      lines: [
        { sku: 'BOLT', quantity: 10 },
        { sku: 'NUT', quantity: 5 },
      ],
      reference: 'PO-7',
    })
    t.match(sent, { direction: 'out', peerName: 'Sur', state: 'in_transit', reference: 'PO-7' })
    t.match((await api(node(norte), 'GET', '/stock/BOLT')).body, { onHand: 90, inTransit: 10 })
    const company = await api(node(norte), 'GET', '/network/stock/BOLT')
    t.match(company.body.total, { onHand: 90, inTransit: 10, onHandPlusInTransit: 100 })

    await until(async () => (await state(sur, sent.id)()) === 'announced', 10_000, 'Sur hears')
    // The catalogue follows the goods: Sur learned the items from the transfer.
    t.match((await api(node(sur), 'GET', '/items/BOLT')).body, { sku: 'BOLT', name: 'Item BOLT' })
    const incoming = await api(node(sur), 'GET', '/transfers?direction=in')
    t.same(
      incoming.body.transfers.map((x: { id: string }) => x.id),
      [sent.id],
      "on Sur's list of incoming transfers"
    )

    const received = await api(
      node(sur),
      'POST',
      `/transfers/${sent.id}/receive`,
      {
        lines: [
          { sku: 'BOLT', received: 8, damaged: 2, disposition: 'write_off', reason: 'crushed' },
          { sku: 'NUT', received: 5 },
        ],
        final: true,
      },
      key()
    )
    t.match(received, { status: 200, body: { state: 'received' } })
    // Nothing more is on its way to Sur: the crushed two are accounted for (written off by Norte).
    t.match(
      received.body.lines.find((l: { sku: string }) => l.sku === 'BOLT'),
      { sent: 10, received: 8, damaged: 2, toWriteOff: 2, inTransit: 0 }
    )
    t.match((await api(node(sur), 'GET', '/stock/BOLT')).body, { onHand: 8, received: 8 })

    await until(async () => (await state(norte, sent.id)()) === 'closed', 10_000, 'Norte closes')
    const closed = await transferAt(norte, sent.id)
    t.match(closed, { outcome: 'delivered_with_loss' })
    t.match(
      closed.lines.find((l: { sku: string }) => l.sku === 'BOLT'),
      { sent: 10, received: 8, writtenOff: 2, inTransit: 0 }
    )
    t.match((await api(node(norte), 'GET', '/stock/BOLT')).body, { onHand: 90, inTransit: 0 })
    const after = await api(node(norte), 'GET', '/network/stock/BOLT')
    t.match(after.body.total, { onHand: 98, inTransit: 0, onHandPlusInTransit: 98 })
    t.same(await judge([norte, sur], { acknowledged: [sent.id] }), [])
  }
)

t.test(
  'sent while the destination is down: it waits in the outbox and arrives when Sur is back',
  async (t) => {
    const { norte, sur } = await pair(t)
    await kill(sur)
    const sent = await send(norte, { to: 'Sur', lines: [{ sku: 'BOLT', quantity: 3 }] })
    t.match((await api(node(norte), 'GET', '/stock/BOLT')).body, { onHand: 97, inTransit: 3 })
    await until(
      async () => (await transferAt(norte, sent.id)).messages[0]?.attempts > 0,
      10_000,
      'Norte tried to deliver it'
    )
    const waiting = (await transferAt(norte, sent.id)).messages[0]
    t.match(waiting, { kind: 'transfer.dispatched', deliveredAt: null, lastError: /./ })

    await start(t, sur, [norte])
    await until(async () => (await state(sur, sent.id)()) === 'announced', 15_000, 'delivered')
    await until(() => outboxesDrained([norte, sur]), 10_000, 'Norte records the delivery')
    t.same(await judge([norte, sur], { acknowledged: [sent.id] }, { quiescent: true }), [])
  }
)

t.test('the link cut both ways: sent and received meanwhile, settled once it heals', async (t) => {
  const { norte, sur } = await pair(t)
  // Sur's replica of Norte holds Norte's catalogue before the cut.
  await until(
    async () => {
      const { body } = await api(node(sur), 'GET', '/network/items?search=NUT')
      return body.items?.some((i: { sku: string }) => i.sku === 'NUT')
    },
    10_000,
    "Norte's catalogue replicated at Sur"
  )
  // While Norte answers, an id it says it never sent to Sur is a wrong one (a typo on the
  // delivery note, or made up): refused, nothing received.
  const madeUp = await api(
    node(sur),
    'POST',
    `/transfers/${randomUUID()}/receive`,
    { from: 'Norte', lines: [{ sku: 'NUT', received: 1000 }], final: true },
    key()
  )
  t.match(madeUp, {
    status: 400,
    body: {
      code: 'VALIDATION_FAILED',
      error: /^Norte says it sent no transfer .* to this warehouse/,
    },
  })
  t.match((await api(node(sur), 'GET', '/transfers')).body, { transfers: [] })
  norte.link.cut('silent')
  sur.link.cut('silent')
  const sent = await send(norte, { to: 'Sur', lines: [{ sku: 'NUT', quantity: 7 }] })
  // Sur cannot know of a transfer Norte made after its last news, nor hear Norte's word now: the
  // delivery note is taken on trust once Norte's silence outlasts the receipt's wait for it.
  // The truck beat the network: Sur receives against the delivery note's id.
  const early = await api(
    node(sur),
    'POST',
    `/transfers/${sent.id}/receive`,
    { from: 'Norte', lines: [{ sku: 'NUT', received: 7 }], final: true },
    key()
  )
  t.match(early, { status: 200, body: { state: 'unannounced', peerName: 'Norte' } })
  // Not an item of Sur's yet: taken from Norte's catalogue as Sur's replica holds it.
  t.match((await api(node(sur), 'GET', '/stock/NUT')).body, { onHand: 7, name: 'Item NUT' })
  // An item that neither Sur nor its replica of Norte knows: refused, saying what to do.
  const unknown = await api(
    node(sur),
    'POST',
    `/transfers/${randomUUID()}/receive`,
    { from: 'Norte', lines: [{ sku: 'GHOST', received: 1 }], final: true },
    key()
  )
  t.match(unknown, {
    status: 404,
    body: {
      error: /No item with SKU GHOST here, nor in Norte's catalogue.*add it to the catalogue/,
    },
  })

  norte.link.heal()
  sur.link.heal()
  await until(async () => (await state(norte, sent.id)()) === 'closed', 30_000, 'settled')
  t.match(await transferAt(norte, sent.id), { outcome: 'delivered' })
  // Sur hears of the dispatch in its own time (Norte's relay may be in a back-off): then it knows
  // what was sent, and the transfer is received in full.
  await until(async () => (await state(sur, sent.id)()) === 'received', 30_000, 'announced at Sur')
  t.match(await transferAt(sur, sent.id), { state: 'received', lines: [{ sent: 7 }] })
  await until(() => outboxesDrained([norte, sur]), 10_000, 'every message delivered')
  t.same(await judge([norte, sur], { acknowledged: [sent.id] }, { quiescent: true }), [])
})

t.test('a cancel needs the receiver: accepted before a receipt, refused after', async (t) => {
  const { norte, sur } = await pair(t)
  const first = await send(norte, { to: 'Sur', lines: [{ sku: 'BOLT', quantity: 4 }] })
  await until(async () => (await state(sur, first.id)()) === 'announced', 10_000, 'Sur hears')
  const asked = await api(
    node(norte),
    'POST',
    `/transfers/${first.id}/cancel`,
    { reason: 'wrong warehouse' },
    key()
  )
  t.match(asked.body, { state: 'cancel_requested' })
  await until(async () => (await state(norte, first.id)()) === 'returning', 10_000, 'accepted')
  t.match(await transferAt(sur, first.id), { state: 'cancelled' })
  const late = await api(
    node(sur),
    'POST',
    `/transfers/${first.id}/receive`,
    { lines: [{ sku: 'BOLT', received: 4 }], final: true },
    key()
  )
  t.match(late, { status: 409, body: { code: 'TRANSFER_CANCELLED' } })
  const back = await api(node(norte), 'POST', `/transfers/${first.id}/return`, {}, key())
  t.match(back.body, { state: 'closed', outcome: 'cancelled' })
  t.match((await api(node(norte), 'GET', '/stock/BOLT')).body, { onHand: 100, inTransit: 0 })

  const second = await send(norte, { to: 'Sur', lines: [{ sku: 'BOLT', quantity: 4 }] })
  await until(async () => (await state(sur, second.id)()) === 'announced', 10_000, 'Sur hears')
  const part = { lines: [{ sku: 'BOLT', received: 1 }], final: false }
  t.equal(
    (await api(node(sur), 'POST', `/transfers/${second.id}/receive`, part, key())).status,
    200
  )
  await until(
    async () => (await state(norte, second.id)()) === 'partially_received',
    10_000,
    'Norte hears of the receipt'
  )
  const refused = await api(
    node(norte),
    'POST',
    `/transfers/${second.id}/cancel`,
    { reason: 'too late' },
    key()
  )
  t.match(refused, { status: 409, body: { code: 'ALREADY_RECEIVED' } })
  await until(() => outboxesDrained([norte, sur]), 10_000, 'every message delivered')
  t.same(await judge([norte, sur], { acknowledged: [first.id, second.id] }), [])
})

t.test(
  'answers lost one way during dispatch, receipt and cancel: each message applied once, all settled after the heal',
  async (t) => {
    const { norte, sur } = await pair(t)
    // Each side's requests reach the other; every answer is lost on the way back.
    norte.link.cut('deaf')
    sur.link.cut('deaf')
    const kept = await send(norte, { to: 'Sur', lines: [{ sku: 'BOLT', quantity: 6 }] })
    const cancelled = await send(norte, { to: 'Sur', lines: [{ sku: 'NUT', quantity: 2 }] })
    for (const id of [kept.id, cancelled.id]) {
      await until(async () => (await state(sur, id)()) === 'announced', 15_000, 'applied at Sur')
    }
    const part = { lines: [{ sku: 'BOLT', received: 2 }], final: false }
    t.equal(
      (await api(node(sur), 'POST', `/transfers/${kept.id}/receive`, part, key())).status,
      200
    )
    const asked = await api(
      node(norte),
      'POST',
      `/transfers/${cancelled.id}/cancel`,
      { reason: 'not needed' },
      key()
    )
    t.equal(asked.status, 202)
    await until(async () => (await state(sur, cancelled.id)()) === 'cancelled', 15_000, 'cancel')
    await until(
      async () => (await state(norte, kept.id)()) === 'partially_received',
      15_000,
      'the receipt applied at Norte'
    )
    // Nobody heard back: the messages are still pending, tried again and again.
    const dispatchAtNorte = async () =>
      (await transferAt(norte, kept.id)).messages.find(
        (m: { kind: string }) => m.kind === 'transfer.dispatched'
      )
    // Its answer lost, Norte tries again (after each try's timeout) though Sur applied it once.
    await until(async () => (await dispatchAtNorte()).attempts >= 2, 30_000, 'sent again')
    t.equal((await dispatchAtNorte()).deliveredAt, null, 'the dispatch not known delivered')

    norte.link.heal()
    sur.link.heal()
    await until(() => outboxesDrained([norte, sur]), 30_000, 'every message delivered')
    t.match(await transferAt(norte, cancelled.id), { state: 'returning' })
    t.match(await transferAt(norte, kept.id), {
      state: 'partially_received',
      lines: [{ sent: 6, received: 2, inTransit: 4 }],
    })
    const rest = { lines: [{ sku: 'BOLT', received: 4 }], final: true }
    t.equal(
      (await api(node(sur), 'POST', `/transfers/${kept.id}/receive`, rest, key())).status,
      200
    )
    await until(async () => (await state(norte, kept.id)()) === 'closed', 15_000, 'closed')
    await api(node(norte), 'POST', `/transfers/${cancelled.id}/return`, {}, key())
    await until(() => outboxesDrained([norte, sur]), 15_000, 'every message delivered')
    t.same(
      await judge([norte, sur], { acknowledged: [kept.id, cancelled.id] }, { quiescent: true }),
      []
    )
    t.match((await api(node(sur), 'GET', '/stock/BOLT')).body, { onHand: 6 })
    t.match((await api(node(norte), 'GET', '/stock/NUT')).body, { onHand: 100, inTransit: 0 })
  }
)
