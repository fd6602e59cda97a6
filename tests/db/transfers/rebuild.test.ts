// A warehouse whose disk died gets its transfers back from its peers' replicas of its log: each
// record as its latest transfer.changed event holds it, and the messages of its own steps queued
// to its peers again (its outbox died with the disk), which they take once whatever their ids.
// Through the worker's batch as the runtime sends it; messages carried by hand
// (tests/fixtures/transfer-sides.ts).
import t from 'tap'
import type { FeedPosition } from '../../../db/contract/index.ts'
import { EMPTY_LEDGER } from '../../../db/ledger/hash.ts'
import { BACKUP_STAMP } from '../../../db/ledger/state.ts'
import { create as createItem } from '../../../db/operations/items.ts'
import { record } from '../../../db/operations/movements.ts'
import { ensureIdentity } from '../../../db/operations/node.ts'
import { testDb } from '../../fixtures/test-db.ts'
import { appendEvents } from '../../../db/events/log.ts'
import { withSql } from '../../../db/sql.ts'
import { outOfStep, rebuildTransfers } from '../../../db/transfers/rebuild.ts'
import { fitting } from '../../../db/transfers/store.ts'
import type { Effect } from '../../../db/transfers/states.ts'
import {
  carry,
  norteAndSur,
  ok,
  send,
  side,
  stock,
  type Side,
} from '../../fixtures/transfer-sides.ts'

/**
 * `holder`'s replica of `owner`, brought up to the owner's head, or to `short` events before it
 * (a page that ended there, the owner's disk lost before the next).
 */
async function replicate(owner: Side, holder: Side, short = 0) {
  const { head } = await ok(owner.knex, 'events.list', { after: 0, limit: 1 })
  let after: FeedPosition = { events: 0, ledger: EMPTY_LEDGER }
  for (;;) {
    const limit = Math.min(50, head - short - after.events)
    if (limit <= 0) return
    const page = await ok(owner.knex, 'events.feed', { after, limit, maxBytes: 1_000_000 })
    const applied = await ok(holder.knex, 'replicas.apply', {
      nodeId: owner.id,
      name: owner.name,
      after,
      ...page,
    })
    after = applied.replica.cursor
    if (page.upToDate) return
  }
}

/** A new database restored as `lost` from `holder`'s replica of it. */
async function restored(t: Parameters<typeof testDb>[0], lost: Side, holder: Side) {
  const knex = await testDb(t)
  await ensureIdentity(knex, lost.name)
  let after = await ok(knex, 'ledger.restoreBegin', { nodeId: lost.id })
  for (;;) {
    const page = await ok(holder.knex, 'replicas.feed', {
      nodeId: lost.id,
      after,
      limit: 7,
      maxBytes: 1e6,
    })
    if (page.events.length === 0) break
    after = await ok(knex, 'ledger.restorePage', { nodeId: lost.id, after, events: page.events })
  }
  const report = await ok(knex, 'ledger.restoreFinish', {
    nodeId: lost.id,
    report: { from: { id: holder.id, name: holder.name } },
  })
  return { side: { knex, id: lost.id, name: lost.name }, report }
}

/** Norte, holding 50 ROPE, and Sur. */
const ropeAtNorte = (t: Parameters<typeof testDb>[0]) =>
  norteAndSur(t, { sku: 'ROPE', name: 'Rope', unit: 'm', quantity: 50 })

/** A transfer as both GET /transfers/:id shows it, without the messages (the outbox's own). */
async function shown(s: Side, id: string) {
  const { messages: _, ...rest } = await ok(s.knex, 'transfers.get', { id })
  return rest
}

t.test(
  'a restored node has every transfer as its log last held it, and tells its peers again what it did, which they take once',
  async (t) => {
    const a = await side(t, 'Norte')
    const b = await side(t, 'Sur')
    await createItem(a.knex, { sku: 'ROPE', name: 'Rope', unit: 'm', description: 'hemp' })
    await createItem(a.knex, { sku: 'BOLT', name: 'Bolt', unit: 'ea' })
    await record(a.knex, { type: 'receipt', sku: 'ROPE', quantity: 50 })
    await record(a.knex, { type: 'receipt', sku: 'BOLT', quantity: 20 })
    // T1 partly received at B, and A knows it.
    const t1 = await send(a, b, [{ sku: 'ROPE', quantity: 10 }])
    await carry(a, b)
    await ok(b.knex, 'transfers.receive', {
      id: t1.id,
      receiptId: 'GRN-1',
      lines: [{ sku: 'ROPE', received: 4 }],
      final: false,
    })
    await carry(b, a)
    // T3 received whole: closed at A.
    const t3 = await send(a, b, [{ sku: 'ROPE', quantity: 5 }])
    await carry(a, b)
    await ok(b.knex, 'transfers.receive', {
      id: t3.id,
      receiptId: 'GRN-3',
      lines: [{ sku: 'ROPE', received: 5 }],
      final: true,
    })
    await carry(b, a)
    // T4 from B to A, received whole at A: A's receipt never left A's outbox.
    const t4 = await send(b, a, [{ sku: 'ROPE', quantity: 2 }])
    await carry(b, a)
    await ok(a.knex, 'transfers.receive', {
      id: t4.id,
      receiptId: 'GRN-4',
      lines: [{ sku: 'ROPE', received: 2 }],
      final: true,
    })
    // T2: its dispatch and then its cancel never left A's outbox.
    const t2 = await send(a, b, [{ sku: 'BOLT', quantity: 4 }])
    await ok(a.knex, 'transfers.cancel', { id: t2.id, reason: 'wrong bolts' })

    await replicate(a, b)
    const ids = [t1.id, t2.id, t3.id, t4.id]
    const before = await Promise.all(ids.map((id) => shown(a, id)))
    const stockBefore = [await stock(a, 'ROPE'), await stock(a, 'BOLT')]
    const t3AtB = await shown(b, t3.id)
    // After B's replica: B's final receipt of T1, which A applies (T1 closed) and then loses.
    await ok(b.knex, 'transfers.receive', {
      id: t1.id,
      receiptId: 'GRN-2',
      lines: [{ sku: 'ROPE', received: 6 }],
      final: true,
    })
    await carry(b, a)
    t.match(await shown(a, t1.id), { state: 'closed' })
    const t1AtB = await shown(b, t1.id)

    // A's disk dies; a new one is restored from B's replica of it.
    const { side: c, report } = await restored(t, a, b)
    t.same(await Promise.all(ids.map((id) => shown(c, id))), before, 'every transfer, as it was')
    t.same([await stock(c, 'ROPE'), await stock(c, 'BOLT')], stockBefore, 'in transit too')
    t.match(report, { transfers: { rebuilt: 4, toldAgain: 5, outOfStep: [] } })
    t.match(await ok(c.knex, 'ledger.restoreReport', {}), { transfers: { rebuilt: 4 } })

    const told = await carry(c, b)
    t.same(
      told.map((m) => [m.transferId, m.kind, m.status]),
      [
        [t1.id, 'transfer.dispatched', 'applied'],
        [t2.id, 'transfer.dispatched', 'applied'],
        [t2.id, 'transfer.cancel_requested', 'applied'],
        [t4.id, 'transfer.received', 'applied'],
        [t4.id, 'transfer.cancel_refused', 'applied'],
      ],
      'the open transfers first, then those settled here, each in the order they were made; nothing of the closed one'
    )
    // Its last change is the time it answered (T1's told its receipts again).
    const content = ({ updatedAt: _, ...rest }: Awaited<ReturnType<typeof shown>>) => rest
    t.same(
      [content(await shown(b, t1.id)), content(await shown(b, t3.id))],
      [content(t1AtB), content(t3AtB)],
      'what B had already is unchanged: no receipt or row twice'
    )
    t.match(await shown(b, t4.id), { state: 'closed', outcome: 'delivered' }, 'A’s lost receipt')
    t.match(await shown(b, t2.id), { state: 'cancelled', reason: 'wrong bolts' })
    // The first message of each transfer asked B for its side again: T1's receipts, the one A
    // lost among them; T2's answer to the cancel.
    const answers = await carry(b, c)
    t.same(
      answers.map((m) => [m.transferId, m.kind, m.status]),
      [
        [t1.id, 'transfer.received', 'applied'],
        [t1.id, 'transfer.received', 'applied'],
        [t1.id, 'transfer.cancel_refused', 'applied'],
        [t2.id, 'transfer.cancel_accepted', 'applied'],
      ]
    )
    t.match(await shown(c, t1.id), { state: 'closed', outcome: 'delivered' })
    t.match(await shown(c, t2.id), { state: 'returning', lines: [{ sku: 'BOLT', toReturn: 4 }] })
    t.same(await carry(c, b), [], 'nothing more to tell: the answers asked nothing')
    t.same(await stock(c, 'ROPE'), { onHand: 37, inTransit: 0, sent: 15, received: 2 })
    t.same(await stock(b, 'ROPE'), { onHand: 13, inTransit: 0, sent: 2, received: 15 })
    t.match(await ok(c.knex, 'ledger.verify', {}), { ok: true })
  }
)

t.test(
  'a database put back from a backup that settles as it is tells its transfers again; settled once',
  async (t) => {
    const { a, b } = await ropeAtNorte(t)
    const done = await send(a, b, [{ sku: 'ROPE', quantity: 5 }])
    const open = await send(a, b, [{ sku: 'ROPE', quantity: 5 }])
    await carry(a, b)
    await ok(b.knex, 'transfers.receive', {
      id: done.id,
      receiptId: 'GRN-1',
      lines: [{ sku: 'ROPE', received: 5 }],
      final: true,
    })
    await carry(b, a)
    t.match(await shown(a, done.id), { state: 'closed' })
    // As a database put back from a backup holds it (db/backups/ops.ts): its stamp.
    await a.knex('node_settings').insert({ key: BACKUP_STAMP, value: '{}' })
    t.same(await ok(a.knex, 'backups.settle', {}), { settled: true })
    const told = await carry(a, b)
    t.same(
      told.map((m) => [m.transferId, m.kind, m.status]),
      [[open.id, 'transfer.dispatched', 'applied']],
      'the open one told again; the closed one nothing'
    )
    t.same(await carry(b, a), [], 'B had nothing of its own to tell of it')
    t.same(await ok(a.knex, 'backups.settle', {}), { settled: false })
    t.same(await carry(a, b), [], 'settled once: nothing told twice')
  }
)

t.test(
  'a replica that ended inside a step: that transfer is listed for a person, told nothing, and nothing is posted twice',
  async (t) => {
    const { a, b } = await ropeAtNorte(t)
    const holder = await side(t, 'Este')
    const open = await send(a, b)
    const cut = await send(a, b)
    await carry(a, b)
    await ok(b.knex, 'transfers.receive', {
      id: cut.id,
      receiptId: 'GRN-1',
      lines: [{ sku: 'ROPE', received: 7, short: 3, disposition: 'write_off' }],
      final: true,
    })
    await carry(b, a)
    t.match(await shown(a, cut.id), { state: 'closed', outcome: 'delivered_with_loss' })
    // The receipt's commit: its write-off's movement.recorded event, then the transfer.changed
    // event. The replica holds the first and not the second.
    await replicate(a, holder, 1)
    const { side: c, report } = await restored(t, a, holder)
    t.match(report.transfers, {
      rebuilt: 2,
      toldAgain: 1,
      outOfStep: [
        {
          id: cut.id,
          peer: b.id,
          why: /record lags its ledger rows \(ROPE: sent 10, returned 0, written off 3 by the ledger; 10, 0, 0 by its record\)/,
        },
      ],
    })
    t.match(await shown(c, cut.id), { state: 'in_transit' }, 'as the replica held it')
    t.match(await shown(c, cut.id), { outOfStep: /^its record lags its ledger rows/ }, 'says so')
    t.notOk('outOfStep' in (await shown(c, open.id)), 'one in step says nothing')
    t.same(
      (await carry(c, b)).map((m) => [m.transferId, m.kind]),
      [[open.id, 'transfer.dispatched']],
      'only the transfer in step is told again'
    )
    t.same(await carry(b, c), [], 'so Sur tells nothing of the receipt again')
    const writeOffs = await c.knex('movements').where({ type: 'transfer_writeoff' })
    t.equal(writeOffs.length, 1, 'one write-off, as the ledger held it')
  }
)

t.test(
  'a replica that ended between a transfer’s rows and its record: listed, with the rows that name it',
  async (t) => {
    const { a, b } = await ropeAtNorte(t)
    const holder = await side(t, 'Este')
    const sent = await send(a, b)
    await replicate(a, holder, 1)
    const { side: c, report } = await restored(t, a, holder)
    t.match(report.transfers, {
      rebuilt: 0,
      toldAgain: 0,
      outOfStep: [
        {
          id: sent.id,
          peer: b.id,
          why: /ledger rows #2…#2 \(ROPE\) name it, but its record was not in the replica restored from/,
        },
      ],
    })
    t.same(await stock(c, 'ROPE'), { onHand: 40, inTransit: 0, sent: 10, received: 0 })
  }
)

t.test(
  'a transfer whose last change was logged before changes held the whole record is rebuilt as shown, listed, and told nothing',
  async (t) => {
    const knex = await testDb(t)
    await ensureIdentity(knex, 'Norte')
    const at = '2026-11-01T10:00:00.000Z'
    const line = { sku: 'ROPE', sent: 10, received: 4, damaged: 0, short: 0 }
    const counts = { toWriteOff: 0, toReturn: 0, returned: 0, writtenOff: 0, inTransit: 6 }
    // As events were written before they held cause, announced and receipts.
    await appendEvents(knex, [
      {
        type: 'transfer.changed',
        subject: 'T-OLD',
        data: {
          id: 'T-OLD',
          direction: 'out',
          peer: 'node-sur',
          peerName: 'Sur',
          state: 'partially_received',
          outcome: null,
          reference: 'PO-1',
          note: '',
          reason: null,
          createdAt: at,
          updatedAt: at,
          closedAt: null,
          lines: [{ ...line, ...counts }],
        },
        createdAt: at,
      },
    ])
    const found = await withSql(knex, async (sql) => {
      const { rebuilt, incomplete } = await rebuildTransfers(sql, 0)
      return { rebuilt, incomplete, unsure: await outOfStep(sql, incomplete) }
    })
    t.same(found.rebuilt, ['T-OLD'])
    t.same(found.incomplete, ['T-OLD'])
    t.match(found.unsure, [{ id: 'T-OLD', peer: 'node-sur' }])
    t.match(await ok(knex, 'transfers.get', { id: 'T-OLD' }), {
      state: 'partially_received',
      lines: [{ sku: 'ROPE', sent: 10, received: 4, inTransit: 6 }],
      receipts: [],
    })
  }
)

t.test(
  'a message told again fits one message: a dispatch goes without descriptions if it must, or not at all',
  async (t) => {
    const dispatch = (lines: number, name: string, description: string): Effect => ({
      send: 'transfer.dispatched',
      payload: {
        fromName: 'Norte',
        lines: Array.from({ length: lines }, (_, i) => ({
          sku: `SKU-${i}`,
          quantity: 1,
          item: { name, unit: 'ea', description },
        })),
        reference: '',
        note: '',
      },
    })
    const small = dispatch(3, 'Rope', 'hemp')
    t.same(fitting([small, { post: 'transfer_out', sku: 'ROPE', quantity: 1 }]), [small])
    const [bare] = fitting([dispatch(40, 'Rope', 'd'.repeat(2000))])
    t.ok(bare, 'sent without its descriptions')
    const lines = bare.payload.lines as { item: object }[]
    t.same(lines[0].item, { name: 'Rope', unit: 'ea' })
    t.same(fitting([dispatch(400, 'n'.repeat(200), '')]), [], 'too large even so: left out')
  }
)

t.test(
  'a record whose undone receipts gave way to the real dispatch is in step, though rows of another SKU name it',
  async (t) => {
    const wrong = await side(t, 'Norte')
    const { a: sender, b } = await ropeAtNorte(t)
    const holder = await side(t, 'Este')
    await createItem(b.knex, { sku: 'BOLT', name: 'Bolt', unit: 'ea' })
    const sent = await send(sender, b)
    // The delivery note named the wrong sender: its receipt is refused, and undone.
    await ok(b.knex, 'transfers.receive', {
      id: sent.id,
      from: wrong.id,
      fromName: 'Oeste',
      receiptId: 'GRN-W',
      lines: [{ sku: 'BOLT', received: 3 }],
      final: false,
    })
    t.match(await carry(b, wrong), [{ status: 'refused', code: 'NOT_FOUND' }])
    await ok(b.knex, 'transfers.reject', { id: sent.id, reason: 'not from Oeste' })
    await carry(sender, b)
    await ok(b.knex, 'transfers.receive', {
      id: sent.id,
      receiptId: 'GRN-1',
      lines: [{ sku: 'ROPE', received: 4 }],
      final: false,
    })
    await replicate(b, holder)
    const { report } = await restored(t, b, holder)
    t.match(report.transfers, { rebuilt: 1, outOfStep: [] }, 'BOLT +3 −3 with no line: in step')
  }
)

t.test(
  'a replica that ended inside the commit turning early receipts into an excess: listed, nothing received twice',
  async (t) => {
    const { a, b } = await ropeAtNorte(t)
    const holder = await side(t, 'Este')
    await createItem(b.knex, { sku: 'ROPE', name: 'Rope', unit: 'm' })
    const sent = await send(a, b)
    await ok(b.knex, 'transfers.receive', {
      id: sent.id,
      from: a.id,
      fromName: a.name,
      receiptId: 'GRN-1',
      lines: [{ sku: 'ROPE', received: 12 }],
      final: false,
    })
    await carry(a, b) // the dispatch: receipt +2 (the excess), transfer_in −2, the record
    t.same(await stock(b, 'ROPE'), { onHand: 12, inTransit: 0, sent: 0, received: 10 })
    // The replica holds the excess's receipt, not the transfer_in after it nor the record.
    await replicate(b, holder, 2)
    const { side: c, report } = await restored(t, b, holder)
    t.match(report.transfers, {
      toldAgain: 0,
      outOfStep: [
        { id: sent.id, peer: a.id, why: /receives an excess of it.*has not had the dispatch/ },
      ],
    })
    t.same(
      await carry(c, a),
      [],
      'told nothing: the dispatch told again would post the excess twice'
    )
    t.same(await stock(c, 'ROPE'), { onHand: 14, inTransit: 0, sent: 0, received: 12 })
  }
)

t.test(
  'the log holds the whole record; the system topics show the Transfer as the API does, so a large one still travels',
  async (t) => {
    const { a, b } = await ropeAtNorte(t)
    await ok(a.knex, 'topics.subscribeV2', {
      name: 'erp',
      pattern: 'transfer.>',
      visibilityTimeoutMs: 30_000,
      maxDeliveries: 5,
      since: null,
      afterEvent: null,
      afterMessage: null,
    })
    const sent = await send(a, b)
    await carry(a, b)
    await ok(b.knex, 'transfers.receive', {
      id: sent.id,
      receiptId: 'GRN-1',
      lines: [{ sku: 'ROPE', received: 9, damaged: 1, disposition: 'return', reason: 'wet' }],
      final: false,
    })
    await carry(b, a)
    const { events } = await ok(a.knex, 'events.list', {
      after: 0,
      limit: 100,
      types: ['transfer.changed'],
    })
    const last = events.at(-1)?.data as Record<string, unknown>
    t.match(last, {
      state: 'partially_received',
      cause: null,
      announced: true,
      receipts: [{ receiptId: 'GRN-1', lines: [{ sku: 'ROPE', received: 9, reason: 'wet' }] }],
    })
    const { messages } = await ok(a.knex, 'queues.receive', { queue: 'erp', max: 10 })
    const shown = messages.map((m) => (m.body as { data: Record<string, unknown> }).data)
    t.equal(shown.length, 2, 'both changes')
    const {
      messages: _,
      receipts: __,
      ...view
    } = await ok(a.knex, 'transfers.get', {
      id: sent.id,
    })
    t.same(shown[1], view, 'the last as GET /transfers/:id shows it, nothing more')
  }
)

t.test('a message asking again whose answer the step gives already gets it once', async (t) => {
  const { a, b } = await ropeAtNorte(t)
  const sent = await send(a, b)
  await carry(a, b)
  // As a restored sender tells it: its cancel, asking for B's side again.
  await ok(b.knex, 'transfers.inboxV2', {
    from: a.id,
    fromName: a.name,
    messages: [
      {
        id: 'cancel-again-1',
        kind: 'transfer.cancel_requested',
        transferId: sent.id,
        createdAt: new Date().toISOString(),
        payload: { reason: 'wrong rope', again: true },
      },
    ],
  })
  const { messages } = await ok(b.knex, 'outbox.pending', { to: a.id, limit: 10 })
  t.same(
    messages.map((m) => m.kind),
    ['transfer.cancel_accepted'],
    'one acceptance, not the step’s and its telling again'
  )
})
