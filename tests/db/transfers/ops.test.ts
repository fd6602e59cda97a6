// The transfer operations end to end between two warehouses' databases, through the worker's
// admission and batch as the runtime sends them: A's outbox carried by hand to B's inbox and
// back (the relay's job, network/transfers), so every message can be delayed, repeated or
// reordered at will. Each test checks what each side's ledger, stock and record say.
import t from 'tap'
import type { Knex } from 'knex'
import { pino } from 'pino'
import { runBatch } from '../../../db/batch.ts'
import { PROTOCOL_VERSION, type Payload, type Result } from '../../../db/contract/index.ts'
import type { OutboxMessage } from '../../../db/contract/transfers.ts'
import { create as createItem } from '../../../db/operations/items.ts'
import { record } from '../../../db/operations/movements.ts'
import { verify } from '../../../db/operations/ledger.ts'
import { ledgerState } from '../../../db/ledger/state.ts'
import { EMPTY_LEDGER } from '../../../db/ledger/hash.ts'
import { testDb } from '../../fixtures/test-db.ts'
import { call, carry, ok, send, side, stock, type Side } from '../../fixtures/transfer-sides.ts'

const log = pino({ level: 'silent' })

async function pair(t: Parameters<typeof testDb>[0]) {
  const a = await side(t, 'Norte')
  const b = await side(t, 'Sur')
  await createItem(a.knex, { sku: 'ROPE', name: 'Rope', unit: 'm', description: 'hemp' })
  await createItem(a.knex, { sku: 'BOLT', name: 'Bolt', unit: 'ea' })
  await record(a.knex, { type: 'receipt', sku: 'ROPE', quantity: 50 })
  await record(a.knex, { type: 'receipt', sku: 'BOLT', quantity: 20 })
  return { a, b }
}

const count = async (knex: Knex, table: string) =>
  Number((await knex(table).count({ n: '*' }).first())?.n)

t.test(
  'create: the goods leave, the transfer is in transit, its dispatch queued, at once',
  async (t) => {
    const { a, b } = await pair(t)
    const events = await count(a.knex, 'events')
    const sent = await send(a, b, [
      { sku: 'ROPE', quantity: 10 },
      { sku: 'BOLT', quantity: 4 },
    ])
    t.match(sent, {
      direction: 'out',
      peer: b.id,
      peerName: 'Sur',
      state: 'in_transit',
      reference: 'PO-7',
      lines: [
        { sku: 'BOLT', sent: 4, inTransit: 4 },
        { sku: 'ROPE', sent: 10, inTransit: 10 },
      ],
    })
    t.same(await stock(a, 'ROPE'), { onHand: 40, inTransit: 10, sent: 10, received: 0 })
    const rows = await a.knex('movements').where({ transferId: sent.id }).orderBy('seq')
    t.match(rows, [
      { type: 'transfer_out', sku: 'ROPE', delta: -10, counterparty: b.id },
      { type: 'transfer_out', sku: 'BOLT', delta: -4, counterparty: b.id },
    ])
    const { messages } = await ok(a.knex, 'outbox.pending', { to: b.id, limit: 10 })
    t.match(messages, [
      {
        kind: 'transfer.dispatched',
        transferId: sent.id,
        to: b.id,
        payload: {
          fromName: 'Norte',
          lines: [
            { sku: 'ROPE', quantity: 10, item: { name: 'Rope', unit: 'm', description: 'hemp' } },
            { sku: 'BOLT', quantity: 4 },
          ],
        },
      },
    ])
    const { events: logged } = await ok(a.knex, 'events.list', { after: events, limit: 10 })
    t.same(
      logged.map((e) => e.type),
      ['movement.recorded', 'movement.recorded', 'transfer.changed'],
      'each row a movement.recorded event, then the transfer'
    )
    t.match(await ok(a.knex, 'transfers.get', { id: sent.id }), {
      messages: [
        { kind: 'transfer.dispatched', direction: 'outbound', deliveredAt: null, attempts: 0 },
      ],
      receipts: [],
    })
    t.match(await verify(a.knex), { ok: true })
  }
)

t.test(
  'create is refused, changing nothing, when short, unknown, to itself, or a SKU twice',
  async (t) => {
    const { a, b } = await pair(t)
    const before = {
      movements: await count(a.knex, 'movements'),
      events: await count(a.knex, 'events'),
    }
    const refusals: [Payload<'transfers.create'>, string, RegExp][] = [
      [
        {
          to: b.id,
          toName: 'Sur',
          lines: [
            { sku: 'ROPE', quantity: 10 },
            { sku: 'BOLT', quantity: 25 },
          ],
        },
        'INSUFFICIENT_STOCK',
        /^Cannot send 25 ea of BOLT in Norte: only 20 ea on hand, short by 5$/,
      ],
      [{ to: b.id, toName: 'Sur', lines: [{ sku: 'GHOST', quantity: 1 }] }, 'NOT_FOUND', /GHOST/],
      [
        { to: a.id, toName: 'Norte', lines: [{ sku: 'ROPE', quantity: 1 }] },
        'INVALID_DESTINATION',
        /not to this one/,
      ],
      [
        {
          to: b.id,
          toName: 'Sur',
          lines: [
            { sku: 'ROPE', quantity: 1 },
            { sku: 'ROPE', quantity: 1 },
          ],
        },
        'VALIDATION_FAILED',
        /ROPE is listed twice/,
      ],
    ]
    for (const [payload, code, message] of refusals) {
      const reply = await call(a.knex, 'transfers.create', payload)
      t.match(reply, { ok: false, error: { code, message } }, code)
    }
    const short = await call(a.knex, 'transfers.create', refusals[0][0])
    t.match(short, { error: { details: { sku: 'BOLT', onHand: 20, requested: 25, shortfall: 5 } } })
    t.equal(await count(a.knex, 'transfers'), 0)
    t.equal(await count(a.knex, 'outbox'), 0)
    t.equal(await count(a.knex, 'movements'), before.movements)
    t.equal(await count(a.knex, 'events'), before.events)
    t.same(await stock(a, 'ROPE'), { onHand: 50, inTransit: 0, sent: 0, received: 0 })
  }
)

t.test(
  'a run of creates in one batch: each decided on the stock the ones before it left, a refusal disturbing none',
  async (t) => {
    const { a, b } = await pair(t)
    const events = await count(a.knex, 'events')
    const payloads: Payload<'transfers.create'>[] = [
      { to: b.id, toName: 'Sur', lines: [{ sku: 'ROPE', quantity: 30 }], reference: 'R-1' },
      // Short only because of the one before it (50 - 30 = 20 left): refused whole, BOLT too.
      {
        to: b.id,
        toName: 'Sur',
        lines: [
          { sku: 'BOLT', quantity: 5 },
          { sku: 'ROPE', quantity: 25 },
        ],
      },
      { to: b.id, toName: 'Sur', lines: [{ sku: 'GHOST', quantity: 1 }] },
      {
        to: b.id,
        toName: 'Sur',
        lines: [
          { sku: 'ROPE', quantity: 20 },
          { sku: 'BOLT', quantity: 20 },
        ],
        note: 'the rest',
      },
      { to: a.id, toName: 'Norte', lines: [{ sku: 'ROPE', quantity: 1 }] },
    ]
    const replies = await runBatch(
      a.knex,
      payloads.map((payload, i) => ({
        v: PROTOCOL_VERSION,
        id: `run-${i}`,
        op: 'transfers.create',
        payload,
        deadline: Date.now() + 60_000,
        key: `run-key-${i}`,
      })),
      { log }
    )
    t.match(
      replies.map((r) => (r.ok ? 'ok' : r.error.code)),
      ['ok', 'INSUFFICIENT_STOCK', 'NOT_FOUND', 'ok', 'INVALID_DESTINATION']
    )
    t.match(replies[1], { error: { details: { sku: 'ROPE', onHand: 20, requested: 25 } } })
    // What each reply says is what the node says of it afterwards.
    for (const i of [0, 3]) {
      const sent = (replies[i] as { data: Result<'transfers.create'> }).data
      const {
        messages: _,
        receipts: __,
        ...stored
      } = await ok(a.knex, 'transfers.get', {
        id: sent.id,
      })
      t.same(sent, stored, `transfer ${i} as stored`)
    }
    t.same(await stock(a, 'ROPE'), { onHand: 0, inTransit: 50, sent: 50, received: 0 })
    t.same(await stock(a, 'BOLT'), { onHand: 0, inTransit: 20, sent: 20, received: 0 })
    const rows = await a.knex('movements').whereNotNull('transferId').orderBy('seq')
    t.same(
      rows.map((r) => [r.sku, r.delta]),
      [
        ['ROPE', -30],
        ['ROPE', -20],
        ['BOLT', -20],
      ]
    )
    const { messages } = await ok(a.knex, 'outbox.pending', { to: b.id, limit: 10 })
    t.same(
      messages.map((m) => m.transferId),
      [0, 3].map((i) => (replies[i] as { data: { id: string } }).data.id),
      'one dispatch each, in order'
    )
    // Three movements and two transfers, each with its event.
    t.equal(await count(a.knex, 'events'), events + 5)
    t.match(await verify(a.knex), { ok: true })
    // The run's keys replay what it decided, refusals included.
    const again = await call(a.knex, 'transfers.create', payloads[1], 'run-key-1')
    t.match(again, { ok: false, replayed: true, error: { code: 'INSUFFICIENT_STOCK' } })
    const first = await call(a.knex, 'transfers.create', payloads[0], 'run-key-0')
    t.match(first, { ok: true, replayed: true, data: { id: messages[0].transferId } })
    t.equal(await count(a.knex, 'transfers'), 2)
  }
)

t.test('a retried Idempotency-Key replays the transfer: the goods leave once', async (t) => {
  const { a, b } = await pair(t)
  const first = await send(a, b, undefined, 'key-1')
  const again = await call(
    a.knex,
    'transfers.create',
    { to: b.id, toName: b.name, lines: [{ sku: 'ROPE', quantity: 10 }], reference: 'PO-7' },
    'key-1'
  )
  t.match(again, { ok: true, replayed: true, data: { id: first.id } })
  t.equal(await count(a.knex, 'transfers'), 1)
  t.same(await stock(a, 'ROPE'), { onHand: 40, inTransit: 10, sent: 10, received: 0 })
})

t.test(
  'a batch of messages applies as one run: each as alone, a refused one disturbing none, replayed as duplicates',
  async (t) => {
    const { a, b } = await pair(t)
    const first = await send(a, b, [{ sku: 'ROPE', quantity: 10 }])
    const second = await send(a, b, [
      { sku: 'ROPE', quantity: 5 },
      { sku: 'BOLT', quantity: 2 },
    ])
    const third = await send(a, b, [{ sku: 'BOLT', quantity: 3 }])
    const { messages } = await ok(a.knex, 'outbox.pending', { to: b.id, limit: 10 })
    t.equal(messages.length, 3)
    const envelopes = messages.map(({ id, kind, transferId, createdAt, payload }) => ({
      id,
      kind,
      transferId,
      createdAt,
      payload,
    }))
    // A received message about a transfer B never sent: refused, the dispatches applied.
    const stranger = {
      id: '6f1c2b3a-0000-4000-8000-000000000001',
      kind: 'transfer.received' as const,
      transferId: '6f1c2b3a-0000-4000-8000-0000000000aa',
      createdAt: new Date().toISOString(),
      payload: {
        receiptId: '6f1c2b3a-0000-4000-8000-0000000000bb',
        final: true,
        lines: [{ sku: 'ROPE', received: 1 }],
      },
    }
    const events = await count(b.knex, 'events')
    const { results, enqueued } = await ok(b.knex, 'transfers.inboxV2', {
      from: a.id,
      fromName: 'Norte',
      messages: [envelopes[0], stranger, envelopes[1], envelopes[2]] as never,
    })
    t.equal(enqueued, false, 'dispatches answer in the exchange, not by a message of their own')
    t.match(results, [
      { id: envelopes[0].id, status: 'applied' },
      { id: stranger.id, status: 'refused', code: 'NOT_FOUND' },
      { id: envelopes[1].id, status: 'applied' },
      { id: envelopes[2].id, status: 'applied' },
    ])
    for (const [sent, lines] of [
      [first, [{ sku: 'ROPE', sent: 10, inTransit: 10 }]],
      [
        second,
        [
          { sku: 'BOLT', sent: 2 },
          { sku: 'ROPE', sent: 5 },
        ],
      ],
      [third, [{ sku: 'BOLT', sent: 3 }]],
    ] as const) {
      t.match(await ok(b.knex, 'transfers.get', { id: sent.id }), {
        direction: 'in',
        state: 'announced',
        peer: a.id,
        lines,
        messages: [{ kind: 'transfer.dispatched', direction: 'inbound' }],
      })
    }
    // Both items learnt once; two item events and three transfer events.
    t.equal(await count(b.knex, 'items'), 2)
    t.equal(await count(b.knex, 'events'), events + 5)
    t.equal(await count(b.knex, 'inbox_log'), 4)
    // Sent again (a lost answer), with the refused one: the same answers, nothing applied twice.
    const again = await ok(b.knex, 'transfers.inboxV2', {
      from: a.id,
      fromName: 'Norte',
      messages: [envelopes[2], stranger, envelopes[0]] as never,
    })
    t.match(again.results, [
      { id: envelopes[2].id, status: 'duplicate' },
      { id: stranger.id, status: 'refused', code: 'NOT_FOUND' },
      { id: envelopes[0].id, status: 'duplicate' },
    ])
    t.equal(again.enqueued, true, 'sent again: the relay is told, in case answers wait unannounced')
    t.equal(await count(b.knex, 'transfers'), 3)
    t.equal(await count(b.knex, 'events'), events + 5)
    t.match(await verify(b.knex), { ok: true })
  }
)

t.test(
  'B learns the transfer and its items from the dispatch, once however often told',
  async (t) => {
    const { a, b } = await pair(t)
    const sent = await send(a, b)
    const { messages } = await ok(a.knex, 'outbox.pending', { to: b.id, limit: 10 })
    const results = await carry(a, b)
    t.match(results, [{ status: 'applied' }])
    t.match(await ok(b.knex, 'items.get', { sku: 'ROPE' }), {
      name: 'Rope',
      unit: 'm',
      description: 'hemp',
    })
    const incoming = await ok(b.knex, 'transfers.get', { id: sent.id })
    t.match(incoming, {
      direction: 'in',
      state: 'announced',
      peer: a.id,
      peerName: 'Norte',
      reference: 'PO-7',
      lines: [{ sku: 'ROPE', sent: 10, received: 0, inTransit: 10 }],
      messages: [{ kind: 'transfer.dispatched', direction: 'inbound', peer: a.id }],
    })
    // The relay crashed before settling, and sends it again, twice in one batch.
    const envelope = { ...messages[0] } as Partial<OutboxMessage>
    delete envelope.to
    delete envelope.attempts
    delete envelope.nextAttemptAt
    const twice = await ok(b.knex, 'transfers.inbox', {
      from: a.id,
      fromName: 'Norte',
      messages: [envelope, envelope] as never,
    })
    t.same(twice.results, [
      { id: messages[0].id, status: 'duplicate' },
      { id: messages[0].id, status: 'duplicate' },
    ])
    t.equal(await count(b.knex, 'transfers'), 1)
    // Told again by a restored A, which asks for B's side in return: the same message.
    const again = { ...envelope, payload: { ...envelope.payload, again: true } }
    const retold = await ok(b.knex, 'transfers.inbox', {
      from: a.id,
      fromName: 'Norte',
      messages: [again] as never,
    })
    t.same(retold.results, [{ id: messages[0].id, status: 'duplicate' }])
    // Its id with another payload (a key holder's forgery, or a bug): refused, never a duplicate
    // that would tell the sender it was taken; nothing changes.
    const payload = envelope.payload as { lines: { sku: string; quantity: number }[] }
    const altered = {
      ...envelope,
      payload: { ...payload, lines: payload.lines.map((l) => ({ ...l, quantity: 4000 })) },
    }
    const elsewhere = { ...envelope, transferId: 'another-transfer' }
    for (const batch of [[altered], [envelope, altered], [elsewhere]]) {
      const told = await ok(b.knex, 'transfers.inbox', {
        from: a.id,
        fromName: 'Norte',
        messages: batch as never,
      })
      t.match(told.results[batch.length - 1], {
        id: messages[0].id,
        status: 'refused',
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: /taken before with another kind or payload/,
      })
    }
    t.match(await ok(b.knex, 'transfers.get', { id: sent.id }), { lines: [{ sent: 10 }] })
    t.match(await ok(a.knex, 'transfers.get', { id: sent.id }), {
      messages: [{ deliveredAt: /^\d{4}-/ }],
    })
    t.same((await ok(a.knex, 'outbox.pending', { limit: 10 })).messages, [], 'delivered, kept')
    t.equal(await count(a.knex, 'outbox'), 1)
  }
)

t.test(
  'a message the inbox refuses is answered the same way for ever, and changes nothing',
  async (t) => {
    const { a, b } = await pair(t)
    const message = {
      id: 'm-1',
      kind: 'transfer.received' as const,
      transferId: 'no-such',
      createdAt: new Date().toISOString(),
      payload: { receiptId: 'R1', lines: [{ sku: 'ROPE', received: 1 }], final: true },
    }
    const first = await ok(a.knex, 'transfers.inbox', {
      from: b.id,
      fromName: 'Sur',
      messages: [message],
    })
    t.match(first.results, [{ id: 'm-1', status: 'refused', code: 'NOT_FOUND' }])
    const bad = { ...message, id: 'm-2', payload: { receiptId: 'R1' } }
    const second = await ok(a.knex, 'transfers.inbox', {
      from: b.id,
      fromName: 'Sur',
      messages: [bad, message],
    })
    t.match(second.results, [
      { id: 'm-2', status: 'refused', code: 'VALIDATION_FAILED', message: /^payload\.lines / },
      { id: 'm-1', status: 'refused', code: 'NOT_FOUND' },
    ])
    t.equal(await count(a.knex, 'transfers'), 0)
    // Another peer's message with the same id is another message.
    const other = await ok(a.knex, 'transfers.inbox', {
      from: 'node-c',
      fromName: 'Este',
      messages: [message],
    })
    t.match(other.results, [{ status: 'refused', code: 'NOT_FOUND' }])
  }
)

t.test('a full receipt at B settles the transfer at both ends', async (t) => {
  const { a, b } = await pair(t)
  const sent = await send(a, b)
  await carry(a, b)
  const received = await ok(b.knex, 'transfers.receive', {
    id: sent.id,
    receiptId: 'GRN-1',
    lines: [{ sku: 'ROPE', received: 10 }],
    final: true,
  })
  t.match(received, { state: 'received', receipts: [{ receiptId: 'GRN-1', final: true }] })
  t.same(await stock(b, 'ROPE'), { onHand: 10, inTransit: 0, sent: 0, received: 10 })
  const again = await ok(b.knex, 'transfers.receive', {
    id: sent.id,
    receiptId: 'GRN-1',
    lines: [{ sku: 'ROPE', received: 10 }],
    final: true,
  })
  t.equal(again.receipts.length, 1, 'the same receipt id again: applied once')
  t.same(await stock(b, 'ROPE'), { onHand: 10, inTransit: 0, sent: 0, received: 10 })
  t.match(
    await call(b.knex, 'transfers.receive', {
      id: sent.id,
      lines: [{ sku: 'ROPE', received: 1 }],
      final: true,
    }),
    {
      ok: false,
      error: { code: 'ALREADY_FINAL' },
    }
  )

  t.match(await carry(b, a), [{ status: 'applied' }])
  t.match(await ok(a.knex, 'transfers.get', { id: sent.id }), {
    state: 'closed',
    outcome: 'delivered',
    closedAt: /^\d{4}-/,
    lines: [{ received: 10, inTransit: 0 }],
    receipts: [{ receiptId: 'GRN-1' }],
  })
  t.same(await stock(a, 'ROPE'), { onHand: 40, inTransit: 0, sent: 10, received: 0 })
  // The company: on hand 50, nothing on the road (Σ sent − Σ received = 0).
  t.match(await verify(a.knex), { ok: true })
  t.match(await verify(b.knex), { ok: true })
})

t.test('B receives before the dispatch arrives; the excess becomes its own receipt', async (t) => {
  const { a, b } = await pair(t)
  const sent = await send(a, b)
  const early = { id: sent.id, from: a.id, fromName: 'Norte', final: true }
  t.match(
    await call(b.knex, 'transfers.receive', { ...early, lines: [{ sku: 'ROPE', received: 1 }] }),
    {
      ok: false,
      error: {
        code: 'NOT_FOUND',
        message:
          "No item with SKU ROPE here, nor in Norte's catalogue as replicated here: add it to the catalogue, or wait for the sender's dispatch, which brings it",
        details: [{ path: 'lines.0.sku' }],
      },
    }
  )
  t.equal(await count(b.knex, 'transfers'), 0, 'nothing recorded')
  await createItem(b.knex, { sku: 'ROPE', name: 'Rope', unit: 'm' })
  t.match(
    await call(b.knex, 'transfers.receive', {
      id: sent.id,
      lines: [{ sku: 'ROPE', received: 12 }],
      final: true,
    }),
    {
      ok: false,
      error: { code: 'VALIDATION_FAILED', details: [{ path: 'from' }] },
    }
  )
  const first = await ok(b.knex, 'transfers.receive', {
    id: sent.id,
    from: a.id,
    fromName: 'Norte',
    receiptId: 'GRN-1',
    lines: [{ sku: 'ROPE', received: 12 }],
    final: true,
  })
  t.match(first, { state: 'unannounced', direction: 'in', lines: [{ sent: 0, received: 12 }] })
  // B's receipt reaches A before A's dispatch reaches B.
  await carry(b, a)
  t.match(await ok(a.knex, 'transfers.get', { id: sent.id }), {
    state: 'closed',
    outcome: 'delivered',
  })
  await carry(a, b)
  const late = await ok(b.knex, 'transfers.get', { id: sent.id })
  t.match(late, { state: 'received', lines: [{ sent: 10, received: 10, inTransit: 0 }] })
  const rows = await b.knex('movements').orderBy('seq').select('type', 'delta', 'transferId')
  t.match(rows, [
    { type: 'transfer_in', delta: 12, transferId: sent.id },
    { type: 'receipt', delta: 2, transferId: null },
    { type: 'transfer_in', delta: -2, transferId: sent.id },
  ])
  t.same(await stock(b, 'ROPE'), { onHand: 12, inTransit: 0, sent: 0, received: 10 })
  t.same(await stock(a, 'ROPE'), { onHand: 40, inTransit: 0, sent: 10, received: 0 })
  t.match(await verify(b.knex), { ok: true })
})

/** `reader` takes in `owner`'s whole ledger as its replica (the feed's pages, as a puller would). */
async function replicate(owner: Side, reader: Side) {
  const start = { events: 0, ledger: EMPTY_LEDGER }
  const page = await ok(owner.knex, 'events.feed', { after: start, limit: 1000, maxBytes: 1e7 })
  const { nodeId, name } = { nodeId: owner.id, name: owner.name }
  await ok(reader.knex, 'replicas.apply', { nodeId, name, after: start, ...page })
}

t.test(
  "received before the dispatch: the sender's ledger as replicated here names it, and a wrong sender or destination is refused",
  async (t) => {
    const { a, b } = await pair(t)
    const c = await side(t, 'Este')
    const toB = await send(a, b)
    const also = await send(a, b, [{ sku: 'BOLT', quantity: 2 }])
    const toC = await send(a, c)
    const madeUp = '0f8e4c52-9a1b-4d2e-8c3f-5b6a7d8e9f01'
    t.strictSame(
      await ok(b.knex, 'transfers.known', { id: toB.id }),
      { here: false, sentBy: null, onTrustFrom: null },
      'before the replica has it, B knows nothing of the transfer'
    )
    await replicate(a, b)
    const lines = [{ sku: 'ROPE', received: 10 }]
    // What the receive route asks before a receipt of an id unknown here (handlers/transfers/).
    t.strictSame(await ok(b.knex, 'transfers.known', { id: toB.id }), {
      here: false,
      sentBy: a.id,
      onTrustFrom: null,
    })
    t.strictSame(await ok(b.knex, 'transfers.known', { id: madeUp }), {
      here: false,
      sentBy: null,
      onTrustFrom: null,
    })
    t.strictSame(await ok(a.knex, 'transfers.known', { id: toB.id }), {
      here: true,
      sentBy: null,
      onTrustFrom: null,
    })

    // No `from`: the replica names the sender, and its catalogue the item.
    const first = await ok(b.knex, 'transfers.receive', { id: toB.id, lines, final: true })
    t.match(first, {
      state: 'unannounced',
      peer: a.id,
      peerName: 'Norte',
      lines: [{ received: 10 }],
    })
    t.strictSame(
      await ok(b.knex, 'transfers.known', { id: toB.id }),
      { here: false, sentBy: a.id, onTrustFrom: a.id },
      'received on trust is not known until its sender announces it'
    )

    const wrong = await call(b.knex, 'transfers.receive', {
      id: also.id,
      from: c.id,
      fromName: 'Este',
      lines: [{ sku: 'BOLT', received: 2 }],
      final: true,
    })
    t.match(wrong, {
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message:
          /^Transfer \S+ comes from Norte, not Este \(Norte's ledger, as replicated here, row #\d+\)$/,
        details: [{ path: 'from' }],
      },
    })
    const elsewhere = await call(b.knex, 'transfers.receive', { id: toC.id, lines, final: true })
    t.match(elsewhere, {
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: new RegExp(
          `was sent by Norte to ${c.id}, not to this warehouse .*check the delivery note`
        ),
        details: [{ path: 'id' }],
      },
    })
    t.equal(await count(b.knex, 'transfers'), 1, 'the refused receipts recorded nothing')
    t.equal(await count(b.knex, 'movements'), 1, 'and posted nothing')

    // The receipt reaches A before its dispatch reaches B: the transfer settles at both ends.
    await carry(b, a)
    t.match(await ok(a.knex, 'transfers.get', { id: toB.id }), { state: 'closed' })
    await carry(a, b)
    t.match(await ok(b.knex, 'transfers.get', { id: toB.id }), { state: 'received' })
    t.same(await stock(b, 'ROPE'), { onHand: 10, inTransit: 0, sent: 0, received: 10 })
  }
)

t.test(
  'a receipt against an id its sender never sent: the sender refuses it, and both records say so',
  async (t) => {
    const { a, b } = await pair(t)
    await createItem(b.knex, { sku: 'ROPE', name: 'Rope', unit: 'm' })
    const madeUp = '0f8e4c52-9a1b-4d2e-8c3f-5b6a7d8e9f01'
    const lines = [{ sku: 'ROPE', received: 4 }]
    await ok(b.knex, 'transfers.receive', {
      id: madeUp,
      from: a.id,
      fromName: 'Norte',
      lines,
      final: true,
    })
    t.same(await stock(b, 'ROPE'), { onHand: 4, inTransit: 0, sent: 0, received: 4 })
    // Before the sender has answered, the receipt stands: rejecting is refused.
    t.match(await call(b.knex, 'transfers.reject', { id: madeUp, reason: 'wrong note' }), {
      ok: false,
      error: { code: 'ALREADY_RECEIVED', message: /Norte has not refused them/ },
    })
    t.match(await carry(b, a), [{ status: 'refused', code: 'NOT_FOUND' }])
    const there = await ok(b.knex, 'transfers.get', { id: madeUp })
    t.match(there, {
      state: 'unannounced',
      messages: [
        {
          kind: 'transfer.received',
          direction: 'outbound',
          status: 'refused',
          code: 'NOT_FOUND',
          deliveredAt: String,
          lastError: `refused by the peer: NOT_FOUND: No transfer ${madeUp} here for transfer.received`,
        },
      ],
    })
    t.equal(await count(a.knex, 'transfers'), 0, 'the sender recorded nothing')

    // Refused by its sender, the receipt can be undone: on hand as it was, and nothing is sent.
    const undone = await ok(b.knex, 'transfers.reject', { id: madeUp, reason: 'wrong note' })
    t.match(undone, { state: 'rejected', reason: 'wrong note', lines: [{ received: 0 }] })
    t.same(await stock(b, 'ROPE'), { onHand: 0, inTransit: 0, sent: 0, received: 0 })
    t.match(await b.knex('movements').orderBy('seq').select('type', 'delta', 'note'), [
      { type: 'transfer_in', delta: 4 },
      { type: 'transfer_in', delta: -4, note: /^receipt undone: Norte has no transfer / },
    ])
    t.same(await carry(b, a), [], 'nothing more for the sender')
    // Undone, the record stands for nothing: a receipt against the id starts afresh, and the
    // receive route checks it as an id unknown here (a live sender's replica refuses it then).
    t.strictSame(await ok(b.knex, 'transfers.known', { id: madeUp }), {
      here: false,
      sentBy: null,
      onTrustFrom: a.id,
    })
    t.match(await call(b.knex, 'transfers.receive', { id: madeUp, lines, final: true }), {
      ok: false,
      error: { code: 'VALIDATION_FAILED', details: [{ path: 'from' }] },
    })
    t.match(await verify(b.knex), { ok: true })
    const sent = await send(a, b)
    await carry(a, b)
    const { messages } = await ok(b.knex, 'transfers.get', { id: sent.id })
    t.match(messages, [{ direction: 'inbound', status: 'applied', code: null, lastError: null }])
    t.match((await ok(a.knex, 'transfers.get', { id: sent.id })).messages, [
      { direction: 'outbound', status: 'applied', lastError: null },
    ])
  }
)

for (const first of ['the dispatch', 'a receipt naming the right sender'] as const) {
  t.test(
    `a receipt naming the wrong sender, refused by it and undone, gives way to ${first}`,
    async (t) => {
      const { a, b } = await pair(t)
      const c = await side(t, 'Este')
      await createItem(b.knex, { sku: 'ROPE', name: 'Rope', unit: 'm' })
      const sent = await send(a, b) // its dispatch held up: B's replica of Norte has nothing
      const lines = [{ sku: 'ROPE', received: 10 }]
      const wrong = { id: sent.id, from: c.id, fromName: 'Este', lines, final: true }
      await ok(b.knex, 'transfers.receive', { ...wrong, receiptId: 'GRN-311' })
      t.match(await carry(b, c), [{ status: 'refused', code: 'NOT_FOUND' }])
      await ok(b.knex, 'transfers.reject', { id: sent.id, reason: 'not from Este' })
      t.same(await stock(b, 'ROPE'), { onHand: 0, inTransit: 0, sent: 0, received: 0 })
      // The wrong receipt retried (a lost answer) is still that receipt: nothing booked again.
      t.match(await ok(b.knex, 'transfers.receive', { ...wrong, receiptId: 'GRN-311' }), {
        state: 'rejected',
      })
      t.same(await stock(b, 'ROPE'), { onHand: 0, inTransit: 0, sent: 0, received: 0 })
      t.same(await carry(b, c), [], 'nothing sent to Este again')

      if (first === 'the dispatch') {
        t.match(await carry(a, b), [{ status: 'applied' }])
        t.match(await ok(b.knex, 'transfers.get', { id: sent.id }), {
          state: 'announced',
          peer: a.id,
          peerName: 'Norte',
          reason: null,
          lines: [{ sku: 'ROPE', sent: 10, received: 0, inTransit: 10 }],
          receipts: [],
        })
        await ok(b.knex, 'transfers.receive', { id: sent.id, lines, final: true })
      } else {
        const right = { id: sent.id, from: a.id, fromName: 'Norte', lines, final: true }
        t.match(await ok(b.knex, 'transfers.receive', right), {
          state: 'unannounced',
          peer: a.id,
          lines: [{ sku: 'ROPE', received: 10 }],
          receipts: [{ final: true }],
        })
      }
      t.match(await carry(b, a), [{ status: 'applied' }])
      t.match(await ok(a.knex, 'transfers.get', { id: sent.id }), {
        state: 'closed',
        outcome: 'delivered',
      })
      await carry(a, b)
      t.match(await ok(b.knex, 'transfers.get', { id: sent.id }), { state: 'received' })
      t.same(await stock(b, 'ROPE'), { onHand: 10, inTransit: 0, sent: 0, received: 10 })
      t.same(await stock(a, 'ROPE'), { onHand: 40, inTransit: 0, sent: 10, received: 0 })
      t.match(await verify(b.knex), { ok: true })
    }
  )
}

t.test(
  'receipts the sender refused are not undone while its replicated ledger shows the transfer sent here',
  async (t) => {
    const { a, b } = await pair(t)
    const sent = await send(a, b)
    await replicate(a, b)
    // Norte loses its record of the transfer (a restore from its peers' replicas brings back its
    // ledger, not its records), before its dispatch went.
    for (const table of ['transfer_lines', 'transfer_receipts', 'outbox']) {
      await a.knex(table).where({ transfer_id: sent.id }).delete()
    }
    await a.knex('transfers').where({ id: sent.id }).delete()
    const lines = [{ sku: 'ROPE', received: 10 }]
    await ok(b.knex, 'transfers.receive', { id: sent.id, lines, final: true })
    t.match(await carry(b, a), [{ status: 'refused', code: 'NOT_FOUND' }])
    t.match(await call(b.knex, 'transfers.reject', { id: sent.id, reason: 'x' }), {
      ok: false,
      error: {
        code: 'ALREADY_RECEIVED',
        message:
          /Norte's ledger, as replicated here, row #\d+, shows it sent to this warehouse, so the receipt stands/,
      },
    })
    t.same(await stock(b, 'ROPE'), { onHand: 10, inTransit: 0, sent: 0, received: 10 })
  }
)

t.test('a cancel B accepts brings the goods back; B then refuses a receipt', async (t) => {
  const { a, b } = await pair(t)
  const sent = await send(a, b)
  await carry(a, b)
  const asked = await ok(a.knex, 'transfers.cancel', { id: sent.id, reason: 'wrong truck' })
  t.match(asked, { state: 'cancel_requested', reason: 'wrong truck' })
  t.match(await call(a.knex, 'transfers.return', { id: sent.id }), {
    ok: false,
    error: { code: 'INVALID_TRANSFER_STATE' },
  })
  t.equal((await carry(a, b)).enqueued, true, "B's acceptance waits in its outbox for A")
  t.match(
    await ok(b.knex, 'transfers.get', { id: sent.id }),
    { state: 'cancelled', lines: [{ sku: 'ROPE', sent: 10, inTransit: 0 }] },
    'nothing is on its way to B any more'
  )
  t.match(
    await call(b.knex, 'transfers.receive', {
      id: sent.id,
      lines: [{ sku: 'ROPE', received: 1 }],
      final: false,
    }),
    {
      ok: false,
      error: { code: 'TRANSFER_CANCELLED' },
    }
  )
  await carry(b, a)
  t.match(await ok(a.knex, 'transfers.get', { id: sent.id }), { state: 'returning' })
  t.same(await stock(a, 'ROPE'), { onHand: 40, inTransit: 10, sent: 10, received: 0 })
  const back = await ok(a.knex, 'transfers.return', { id: sent.id, note: 'truck came back' })
  t.match(back, { state: 'closed', outcome: 'cancelled', lines: [{ returned: 10, inTransit: 0 }] })
  t.same(await stock(a, 'ROPE'), { onHand: 50, inTransit: 0, sent: 0, received: 0 })
})

t.test('cancels for two transfers in one batch: both answers queued, the relay told', async (t) => {
  const { a, b } = await pair(t)
  const first = await send(a, b, [{ sku: 'ROPE', quantity: 1 }])
  const second = await send(a, b, [{ sku: 'ROPE', quantity: 2 }])
  t.equal((await carry(a, b)).enqueued, false, 'two dispatches: nothing to answer by message')
  await ok(a.knex, 'transfers.cancel', { id: first.id, reason: 'wrong truck' })
  await ok(a.knex, 'transfers.cancel', { id: second.id, reason: 'wrong truck' })
  const carried = await carry(a, b)
  t.match(carried, [{ status: 'applied' }, { status: 'applied' }])
  t.equal(carried.enqueued, true, "B's two acceptances wait in its outbox for A")
  const { messages } = await ok(b.knex, 'outbox.pending', { to: a.id, limit: 10 })
  t.same(
    messages.map((m) => m.kind),
    ['transfer.cancel_accepted', 'transfer.cancel_accepted']
  )
})

t.test('a cancel after B received is refused at A, or by B when the news crossed', async (t) => {
  const { a, b } = await pair(t)
  const sent = await send(a, b)
  await carry(a, b)
  await ok(b.knex, 'transfers.receive', {
    id: sent.id,
    lines: [{ sku: 'ROPE', received: 4 }],
    final: false,
  })
  // A asks before B's receipt reaches it.
  await ok(a.knex, 'transfers.cancel', { id: sent.id, reason: 'x' })
  await carry(a, b)
  t.match(await ok(b.knex, 'transfers.get', { id: sent.id }), { state: 'partially_received' })
  await carry(b, a)
  t.match(await ok(a.knex, 'transfers.get', { id: sent.id }), {
    state: 'partially_received',
    reason: /cancel refused by Sur: goods were already received/,
  })
  t.match(await call(a.knex, 'transfers.cancel', { id: sent.id, reason: 'again' }), {
    ok: false,
    error: { code: 'ALREADY_RECEIVED' },
  })
})

t.test('a rejection at B, before any receipt, lets A book everything back', async (t) => {
  const { a, b } = await pair(t)
  const sent = await send(a, b)
  await carry(a, b)
  t.match(await ok(b.knex, 'transfers.reject', { id: sent.id, reason: 'not ordered' }), {
    state: 'rejected',
    reason: 'not ordered',
    lines: [{ sku: 'ROPE', sent: 10, inTransit: 0 }],
  })
  await carry(b, a)
  t.match(await ok(a.knex, 'transfers.return', { id: sent.id }), {
    state: 'closed',
    outcome: 'returned',
  })
  t.same(await stock(a, 'ROPE'), { onHand: 50, inTransit: 0, sent: 0, received: 0 })
})

t.test('a final receipt with damage: write off at A, or back to A', async (t) => {
  const { a, b } = await pair(t)
  const sent = await send(a, b, [
    { sku: 'ROPE', quantity: 10 },
    { sku: 'BOLT', quantity: 6 },
  ])
  await carry(a, b)
  await ok(b.knex, 'transfers.receive', {
    id: sent.id,
    lines: [
      { sku: 'ROPE', received: 8, damaged: 2, disposition: 'write_off', reason: 'wet' },
      { sku: 'BOLT', received: 5, damaged: 1, disposition: 'return' },
    ],
    final: true,
  })
  await carry(b, a)
  const at = await ok(a.knex, 'transfers.get', { id: sent.id })
  t.match(at, {
    state: 'returning',
    lines: [
      { sku: 'BOLT', received: 5, toReturn: 1, inTransit: 1 },
      { sku: 'ROPE', received: 8, toWriteOff: 2, writtenOff: 2, inTransit: 0 },
    ],
  })
  t.same(await stock(a, 'ROPE'), { onHand: 40, inTransit: 0, sent: 8, received: 0 })
  t.match(await ok(a.knex, 'transfers.return', { id: sent.id }), {
    state: 'closed',
    outcome: 'partially_returned',
  })
  t.same(await stock(a, 'BOLT'), { onHand: 15, inTransit: 0, sent: 5, received: 0 })
  t.match(await verify(a.knex), { ok: true })
})

t.test(
  'goods marked to come back that never do are written off at A: out of transit, the transfer closed',
  async (t) => {
    const { a, b } = await pair(t)
    const sent = await send(a, b)
    await carry(a, b)
    await ok(b.knex, 'transfers.receive', {
      id: sent.id,
      lines: [{ sku: 'ROPE', received: 6, damaged: 1, short: 3, disposition: 'return' }],
      final: true,
    })
    await carry(b, a)
    t.same(await stock(a, 'ROPE'), { onHand: 40, inTransit: 4, sent: 10, received: 0 })
    t.match(await call(b.knex, 'transfers.writeOff', { id: sent.id }), {
      ok: false,
      error: { code: 'INVALID_TRANSFER_STATE', message: /goods are written off by their sender/ },
    })
    // The damaged one comes back; the three missing are not found.
    await ok(a.knex, 'transfers.return', { id: sent.id, lines: [{ sku: 'ROPE', quantity: 1 }] })
    const off = await ok(a.knex, 'transfers.writeOff', { id: sent.id, note: 'not at the dock' })
    t.match(off, {
      state: 'closed',
      outcome: 'partially_returned',
      lines: [{ sku: 'ROPE', received: 6, returned: 1, writtenOff: 3, inTransit: 0 }],
    })
    t.same(await stock(a, 'ROPE'), { onHand: 41, inTransit: 0, sent: 6, received: 0 })
    const { movements } = await ok(a.knex, 'movements.list', { sku: 'ROPE', limit: 10 })
    t.match(movements[0], {
      type: 'transfer_writeoff',
      quantity: 3,
      delta: 0,
      note: '3 written off, due back from Sur and not come back: not at the dock',
    })
    t.match(await call(a.knex, 'transfers.writeOff', { id: sent.id }), {
      ok: false,
      error: { code: 'INVALID_TRANSFER_STATE', message: /has nothing to come back/ },
    })
    t.match(await verify(a.knex), { ok: true })
  }
)

t.test(
  'transfers.list filters by direction, state, peer and SKU, newest first, in pages',
  async (t) => {
    const { a, b } = await pair(t)
    const one = await send(a, b)
    const two = await send(a, b, [{ sku: 'BOLT', quantity: 1 }])
    const three = await send(a, b, [{ sku: 'BOLT', quantity: 1 }])
    await ok(a.knex, 'transfers.cancel', { id: three.id, reason: 'x' })
    const ids = async (f: Omit<Payload<'transfers.list'>, 'limit'> & { limit?: number }) =>
      (await ok(a.knex, 'transfers.list', { limit: 50, ...f })).transfers.map((x) => x.id)
    t.same(new Set(await ids({})), new Set([one.id, two.id, three.id]))
    t.same(await ids({ sku: 'ROPE' }), [one.id])
    t.same(await ids({ state: 'cancel_requested' }), [three.id])
    t.same(await ids({ direction: 'in' }), [])
    t.same((await ids({ peer: 'sur' })).length, 3, 'by name, any case')
    t.same((await ids({ peer: b.id })).length, 3, 'by node id')
    const first = await ok(a.knex, 'transfers.list', { limit: 2 })
    t.equal(first.transfers.length, 2)
    const rest = await ok(a.knex, 'transfers.list', { limit: 2, cursor: first.nextCursor ?? '' })
    t.equal(rest.transfers.length, 1)
    t.equal(rest.nextCursor, null)
    // A cursor made by hand, not of a page: refused as a bad request, not an internal error.
    const forged = Buffer.from(JSON.stringify({ p: 'x' })).toString('base64url')
    t.match(await call(a.knex, 'transfers.list', { limit: 2, cursor: forged }), {
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'cursor is not one this node gave out' },
    })
    t.same(
      new Set([...first.transfers, ...rest.transfers].map((x) => x.id)),
      new Set([one.id, two.id, three.id])
    )
    t.match(await call(a.knex, 'transfers.get', { id: 'nope' }), {
      ok: false,
      error: { code: 'NOT_FOUND' },
    })
  }
)

t.test(
  'the outbox: pending in order per peer; a failed attempt waits, a delivery is kept',
  async (t) => {
    const { a, b } = await pair(t)
    await send(a, b)
    await send(a, b, [{ sku: 'BOLT', quantity: 1 }])
    const { messages } = await ok(a.knex, 'outbox.pending', { to: b.id, limit: 10 })
    t.equal(messages.length, 2)
    const later = new Date(Date.now() + 60_000).toISOString()
    t.same(
      await ok(a.knex, 'outbox.settle', {
        delivered: [],
        failed: [{ id: messages[0].id, error: 'connection refused', nextAttemptAt: later }],
      }),
      { delivered: 0, failed: 1 }
    )
    const after = await ok(a.knex, 'outbox.pending', { limit: 10 })
    t.match(after.messages, [
      { id: messages[0].id, attempts: 1, nextAttemptAt: later },
      { id: messages[1].id },
    ])
    // An id named twice in one settle counts as two attempts, its last error standing.
    const latest = new Date(Date.now() + 90_000).toISOString()
    t.same(
      await ok(a.knex, 'outbox.settle', {
        delivered: [],
        failed: [
          { id: messages[1].id, error: 'timed out', nextAttemptAt: later },
          { id: messages[1].id, error: 'reset', nextAttemptAt: latest },
        ],
      }),
      { delivered: 0, failed: 2 }
    )
    t.match((await ok(a.knex, 'outbox.pending', { limit: 10 })).messages[1], {
      id: messages[1].id,
      attempts: 2,
      nextAttemptAt: latest,
    })
    t.match((await ok(a.knex, 'transfers.get', { id: messages[1].transferId })).messages, [
      { attempts: 2, lastError: 'reset' },
    ])
    t.same((await ok(a.knex, 'outbox.pending', { to: 'other', limit: 10 })).messages, [])
    const at = new Date().toISOString()
    t.same(
      await ok(a.knex, 'outbox.settle', {
        // Named twice: the first delivery stands.
        delivered: [
          { id: messages[0].id, status: 'refused', at },
          { id: messages[0].id, status: 'applied', at: later },
        ],
        failed: [],
      }),
      { delivered: 1, failed: 0 }
    )
    t.same(
      await ok(a.knex, 'outbox.settle', {
        delivered: [{ id: messages[0].id, status: 'applied', at }],
        failed: [],
      }),
      { delivered: 0, failed: 0 },
      'settled once'
    )
    const shown = await ok(a.knex, 'transfers.get', { id: messages[0].transferId })
    t.match(shown.messages, [{ deliveredAt: at, lastError: 'refused by the peer', attempts: 1 }])
  }
)

t.test('a halted ledger refuses every transfer step that posts rows, and the inbox', async (t) => {
  const { a, b } = await pair(t)
  const sent = await send(a, b)
  const halt = {
    since: new Date().toISOString(),
    problems: ['a balance drifted'],
    action: 'verify',
  }
  ledgerState(a.knex).halt = halt
  t.teardown(() => (ledgerState(a.knex).halt = null))
  const refused = { ok: false, error: { code: 'LEDGER_HALTED' } }
  t.match(
    await call(a.knex, 'transfers.create', {
      to: b.id,
      toName: 'Sur',
      lines: [{ sku: 'ROPE', quantity: 1 }],
    }),
    refused
  )
  t.match(await call(a.knex, 'transfers.return', { id: sent.id }), refused)
  const message = {
    id: 'm-1',
    kind: 'transfer.received' as const,
    transferId: sent.id,
    createdAt: new Date().toISOString(),
    payload: { receiptId: 'R1', lines: [{ sku: 'ROPE', received: 10 }], final: true },
  }
  t.match(
    await call(a.knex, 'transfers.inbox', { from: b.id, fromName: 'Sur', messages: [message] }),
    refused
  )
  ledgerState(a.knex).halt = null
  const later = await ok(a.knex, 'transfers.inbox', {
    from: b.id,
    fromName: 'Sur',
    messages: [message],
  })
  t.match(later.results, [{ status: 'applied' }], 'the refusal was not kept: the retry applies')
})
