// The transfer routes over HTTP on real nodes (runtime, worker, SQLite, membership): what a person
// sees at the sending and the receiving warehouse. Messages between the two are the relay's
// (network/transfers): here they wait in the outbox, which is what a destination that is down
// looks like too.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { openLink } from '../../fixtures/link.ts'
import { QUICK_TIMING, until } from '../../fixtures/node-process.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

const KEY = 'test-cluster-key-for-almacen-tests'

async function network(t: Parameters<typeof startTestNode>[0]) {
  // Norte is reached through a link the test can cut: a message to it then waits at Sur.
  let norteUrl = ''
  const toNorte = await openLink(t, () => norteUrl)
  const norte = await startTestNode(t, {
    name: 'Norte',
    clusterKey: KEY,
    timing: QUICK_TIMING,
    advertise: toNorte.url,
  })
  norteUrl = norte.url
  const sur = await startTestNode(t, {
    name: 'Sur',
    clusterKey: KEY,
    timing: QUICK_TIMING,
    join: [norte.advertise],
  })
  const knows = async (node: typeof norte, name: string) => {
    const { body } = await api(node, 'GET', '/members')
    return body.members?.some((m: { name: string; state: string }) => m.name === name) ?? false
  }
  await until(
    async () => (await knows(norte, 'Sur')) && (await knows(sur, 'Norte')),
    10_000,
    'joined'
  )
  await api(norte, 'POST', '/items', { sku: 'ROPE', name: 'Rope', unit: 'm' })
  await api(norte, 'POST', '/movements', { type: 'receipt', sku: 'ROPE', quantity: 50 })
  return { norte, sur, toNorte }
}

t.test('a transfer over REST: sent once for a retried key, refused without a trace', async (t) => {
  const { norte, sur } = await network(t)
  const body = { to: 'sur', lines: [{ sku: 'rope', quantity: 10 }], reference: 'PO-7' }
  const key = { 'idempotency-key': 'send-rope-1' }
  const sent = await api(norte, 'POST', '/transfers', body, key)
  t.match(sent, {
    status: 201,
    body: { direction: 'out', peer: sur.identity.id, peerName: 'Sur', state: 'in_transit' },
  })
  t.equal(sent.headers.get('location'), `/transfers/${sent.body.id}`)
  const again = await api(norte, 'POST', '/transfers', body, key)
  t.match(again, { status: 201, body: { id: sent.body.id } })
  t.equal(again.headers.get('idempotent-replayed'), 'true')
  t.match(await api(norte, 'POST', '/transfers', { ...body, reference: 'PO-8' }, key), {
    status: 422,
    body: { code: 'IDEMPOTENCY_KEY_REUSED' },
  })

  t.match(await api(norte, 'GET', '/stock/ROPE'), {
    status: 200,
    body: { onHand: 40, inTransit: 10, sent: 10, received: 0 },
  })
  t.match(await api(norte, 'GET', '/stock'), { body: { stock: [{ sku: 'ROPE', inTransit: 10 }] } })
  t.match(await api(norte, 'GET', '/transfers?direction=out'), {
    status: 200,
    body: { transfers: [{ id: sent.body.id }], nextCursor: null },
  })
  t.match(await api(norte, 'GET', `/transfers/${sent.body.id}`), {
    status: 200,
    body: {
      lines: [{ sku: 'ROPE', sent: 10, inTransit: 10 }],
      messages: [{ kind: 'transfer.dispatched', direction: 'outbound', peer: sur.identity.id }],
    },
  })
  t.match(await api(norte, 'GET', `/movements?type=transfer_out`), {
    body: {
      movements: [
        { type: 'transfer_out', transferId: sent.body.id, counterparty: sur.identity.id },
      ],
    },
  })

  const refusals: [unknown, number, string, RegExp][] = [
    [
      { to: 'Sur', lines: [{ sku: 'ROPE', quantity: 41 }] },
      409,
      'INSUFFICIENT_STOCK',
      /short by 1$/,
    ],
    [{ to: 'Sur', lines: [{ sku: 'GHOST', quantity: 1 }] }, 404, 'NOT_FOUND', /GHOST/],
    [
      { to: 'Oeste', lines: [{ sku: 'ROPE', quantity: 1 }] },
      422,
      'UNKNOWN_DESTINATION',
      /^Oeste is not/,
    ],
    [
      { to: 'norte', lines: [{ sku: 'ROPE', quantity: 1 }] },
      422,
      'INVALID_DESTINATION',
      /this warehouse/,
    ],
    [{ to: 'Sur', lines: [{ sku: 'ROPE' }] }, 400, 'VALIDATION_FAILED', /lines\.0\.quantity/],
  ]
  for (const [refused, status, code, error] of refusals) {
    const answer = await api(norte, 'POST', '/transfers', refused, {
      'idempotency-key': `k-${code}`,
    })
    t.match(answer, { status, body: { status, code, error } }, code)
  }
  t.equal((await api(norte, 'GET', '/transfers')).body.transfers.length, 1, 'nothing more')
  t.match(await api(norte, 'GET', '/stock/ROPE'), { body: { onHand: 40, inTransit: 10 } })

  // The sender's own steps: a cancel is asked (202); nothing is due back yet.
  const id = sent.body.id
  t.match(await api(norte, 'POST', `/transfers/${id}/cancel`, { reason: 'wrong truck' }), {
    status: 202,
    body: { state: 'cancel_requested', messages: [{}, { kind: 'transfer.cancel_requested' }] },
  })
  t.match(await api(norte, 'POST', `/transfers/${id}/return`, {}), {
    status: 409,
    body: { code: 'INVALID_TRANSFER_STATE', error: /nothing to come back/ },
  })
  t.match(await api(norte, 'POST', `/transfers/${id}/reject`, { reason: 'x' }), {
    status: 409,
    body: { code: 'INVALID_TRANSFER_STATE', error: /only Sur can reject it/ },
  })
  t.match(await api(norte, 'GET', '/transfers/nope'), { status: 404, body: { code: 'NOT_FOUND' } })
})

t.test(
  'the receiver records a receipt before the dispatch arrives, naming the sender',
  async (t) => {
    const { norte, sur, toNorte } = await network(t)
    await api(sur, 'POST', '/items', { sku: 'ROPE', name: 'Rope', unit: 'm' })
    // Norte cut off: its answer to the receipt waits, and the receipt stands meanwhile.
    toNorte.cut('refuse')
    const id = randomUUID() // as the sender made it, printed on the delivery note
    const lines = [{ sku: 'ROPE', received: 6 }]
    t.match(await api(sur, 'POST', `/transfers/${id}/receive`, { lines, final: false }), {
      status: 400,
      body: { code: 'VALIDATION_FAILED', details: [{ path: 'from' }] },
    })
    const key = { 'idempotency-key': 'grn-1' }
    const body = { from: 'Norte', receiptId: 'GRN-1', lines, final: false }
    const received = await api(sur, 'POST', `/transfers/${id}/receive`, body, key)
    t.match(received, {
      status: 200,
      body: {
        id,
        direction: 'in',
        state: 'unannounced',
        peer: norte.identity.id,
        peerName: 'Norte',
      },
    })
    const again = await api(sur, 'POST', `/transfers/${id}/receive`, body, key)
    t.equal(again.headers.get('idempotent-replayed'), 'true')
    const sameReceipt = await api(sur, 'POST', `/transfers/${id}/receive`, body)
    t.equal(sameReceipt.body.receipts.length, 1, 'the same receipt id without a key: once')
    t.match(await api(sur, 'GET', '/stock/ROPE'), {
      body: { onHand: 6, received: 6, inTransit: 0 },
    })
    t.match(await api(sur, 'POST', `/transfers/${id}/reject`, { reason: 'late' }), {
      status: 409,
      body: { code: 'ALREADY_RECEIVED' },
    })
    t.match(await api(sur, 'GET', '/transfers?direction=in&state=unannounced'), {
      body: { transfers: [{ id }] },
    })
    // Back in touch, Norte refuses it (it sent no such transfer): now the reject undoes it.
    toNorte.heal()
    const refused = async () =>
      (await api(sur, 'GET', `/transfers/${id}`)).body.messages.some(
        (m: { kind: string; status: string }) =>
          m.kind === 'transfer.received' && m.status === 'refused'
      )
    await until(refused, 10_000, 'Norte refused the receipt')
    t.match(await api(sur, 'POST', `/transfers/${id}/reject`, { reason: 'not ours' }), {
      status: 200,
      body: { state: 'rejected' },
    })
    t.match(await api(sur, 'GET', '/stock/ROPE'), { body: { onHand: 0 } })
  }
)

t.test(
  'a transfer to a warehouse that is stopped is accepted and waits in the outbox',
  async (t) => {
    const { norte, sur } = await network(t)
    await sur.close()
    const sent = await api(norte, 'POST', '/transfers', {
      to: 'Sur',
      lines: [{ sku: 'ROPE', quantity: 5 }],
    })
    t.match(sent, { status: 201, body: { state: 'in_transit' } })
    t.match(await api(norte, 'GET', `/transfers/${sent.body.id}`), {
      body: { messages: [{ kind: 'transfer.dispatched', deliveredAt: null }] },
    })
  }
)

t.test(
  'a transfer received in instalments is closed by a final receipt with no lines',
  async (t) => {
    const { norte, sur } = await network(t)
    const sent = await api(norte, 'POST', '/transfers', {
      to: 'Sur',
      lines: [{ sku: 'ROPE', quantity: 10 }],
    })
    const { id } = sent.body
    const known = async () => (await api(sur, 'GET', `/transfers/${id}`)).status === 200
    await until(known, 10_000, 'the dispatch reached Sur')
    for (const received of [6, 4]) {
      const lines = [{ sku: 'ROPE', received }]
      t.match(await api(sur, 'POST', `/transfers/${id}/receive`, { lines, final: false }), {
        status: 200,
        body: { state: 'partially_received' },
      })
    }
    t.match(await api(sur, 'POST', `/transfers/${id}/receive`, { lines: [], final: false }), {
      status: 400,
      body: { code: 'VALIDATION_FAILED', details: [{ path: 'lines' }] },
    })
    t.match(
      await api(sur, 'POST', `/transfers/${randomUUID()}/receive`, { lines: [], final: true }),
      {
        status: 400,
        body: { code: 'VALIDATION_FAILED', details: [{ path: 'lines' }] },
      }
    )
    t.match(await api(sur, 'POST', `/transfers/${id}/receive`, { lines: [], final: true }), {
      status: 200,
      body: { state: 'received', lines: [{ sku: 'ROPE', received: 10, inTransit: 0 }] },
    })
    t.match(await api(sur, 'GET', '/stock/ROPE'), { body: { onHand: 10 } })
    const closed = async () => {
      const { body } = await api(norte, 'GET', `/transfers/${id}`)
      return body.state === 'closed' && body.outcome === 'delivered'
    }
    await until(closed, 10_000, 'Norte closed it, delivered in full')
    t.match(await api(norte, 'GET', '/stock/ROPE'), { body: { onHand: 40, inTransit: 0 } })
  }
)
