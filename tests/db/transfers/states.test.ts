// The transfer state machines (db/transfers/states.ts), pure: each step at A and at B, each
// refusal, the order-tolerance of every message, and the invariants T1-T6 of the study
// (../shared/research/replication-transfers.md §6.2) checked over many random histories in which
// messages are delayed, duplicated, and raced by the people at both ends.
import t from 'tap'
import * as S from '../../../db/transfers/states.ts'
import type { Effect, Step, TransferRecord } from '../../../db/transfers/states.ts'
import { lineView } from '../../../db/transfers/store.ts'
import { messagePayloads } from '../../../db/contract/transfers.ts'

const ITEM = { name: 'Rope', unit: 'm' }

function ok(step: Step): { record: TransferRecord; effects: Effect[]; changed: boolean } {
  if (!step.ok) throw new Error(`refused: ${step.code} ${step.message}`)
  return step
}

function sent(lines: [string, number][] = [['ROPE', 10]]) {
  return ok(
    S.create({
      id: 'T1',
      peer: 'node-b',
      peerName: 'Sur',
      lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
      reference: 'PO-7',
      items: Object.fromEntries(lines.map(([sku]) => [sku, ITEM])),
      fromName: 'Norte',
    })
  )
}

const dispatch = (lines: [string, number][] = [['ROPE', 10]]) => ({
  id: 'T1',
  peer: 'node-a',
  peerName: 'Norte',
  lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
  reference: 'PO-7',
  note: '',
})

/** B's final receipt of `received` ROPE from Norte, before Norte's dispatch has come. */
const beforeDispatch = (received: number) => ({
  id: 'T1',
  peer: 'node-a',
  peerName: 'Norte',
  receiptId: 'R1',
  lines: [{ sku: 'ROPE', received }],
  final: true,
})

const posts = (effects: Effect[]) =>
  effects.flatMap((e) => ('post' in e ? [`${e.post} ${e.sku} ${e.quantity}`] : []))
const sends = (effects: Effect[]) => effects.flatMap((e) => ('send' in e ? [e.send] : []))

t.test('A: create sends the goods out and queues the dispatch with the items', async (t) => {
  const { record, effects } = sent([
    ['ROPE', 10],
    ['BOLT', 3],
  ])
  t.match(record, { state: 'in_transit', direction: 'out', outcome: null, reference: 'PO-7' })
  t.same(posts(effects), ['transfer_out ROPE 10', 'transfer_out BOLT 3'])
  t.same(sends(effects), ['transfer.dispatched'])
  t.match(effects.at(-1), {
    payload: { fromName: 'Norte', lines: [{ sku: 'ROPE', quantity: 10, item: ITEM }, {}] },
  })
})

t.test('A: a full final receipt closes it delivered; a receipt id counts once', async (t) => {
  const a = sent().record
  const receipt = { receiptId: 'R1', lines: [{ sku: 'ROPE', received: 10 }], final: true }
  const done = ok(S.outReceived(a, receipt))
  t.match(done.record, { state: 'closed', outcome: 'delivered', lines: [{ received: 10 }] })
  t.same(posts(done.effects), [])
  const again = ok(S.outReceived(done.record, receipt))
  t.equal(again.changed, false, 'the same receipt told twice changes nothing')
  t.match(S.outReceived(done.record, { ...receipt, receiptId: 'R2' }), {
    ok: false,
    code: 'ALREADY_FINAL',
  })
})

t.test('A: partial receipts, then a final one writes off what never came', async (t) => {
  const a = sent().record
  const first = ok(
    S.outReceived(a, { receiptId: 'R1', lines: [{ sku: 'ROPE', received: 4 }], final: false })
  )
  t.match(first.record, { state: 'partially_received' })
  const damaged = {
    receiptId: 'R2',
    lines: [{ sku: 'ROPE', received: 3, damaged: 1, disposition: 'write_off' as const }],
    final: true,
  }
  const last = ok(S.outReceived(first.record, damaged))
  t.match(last.record, {
    state: 'closed',
    outcome: 'delivered_with_loss',
    lines: [{ sent: 10, received: 7, damaged: 1, short: 2, toWriteOff: 3, writtenOff: 3 }],
  })
  t.same(posts(last.effects), ['transfer_writeoff ROPE 3'])
  // A history shows the row's change on hand (none): its note says how many were lost.
  t.match(
    last.effects.find((e) => 'post' in e),
    { note: /^3 written off, damaged or missing: receipt / }
  )
  t.equal(S.inTransit(last.record.lines[0]), 0)
})

t.test('A: goods B sends back keep it returning until booked back', async (t) => {
  const a = sent().record
  const receipt = {
    receiptId: 'R1',
    lines: [{ sku: 'ROPE', received: 8, damaged: 2, disposition: 'return' as const }],
    final: true,
  }
  const returning = ok(S.outReceived(a, receipt)).record
  t.match(returning, { state: 'returning', lines: [{ toReturn: 2, returned: 0 }] })
  t.equal(S.inTransit(returning.lines[0]), 2, 'still on the road')
  t.match(S.bookReturn(returning, { lines: [{ sku: 'ROPE', quantity: 3 }] }), {
    ok: false,
    code: 'EXCEEDS_IN_TRANSIT',
    message: 'Cannot book back more than is to come back: ROPE 3 of 2',
  })
  const one = ok(S.bookReturn(returning, { lines: [{ sku: 'ROPE', quantity: 1 }] }))
  t.match(one.record, { state: 'returning' })
  const all = ok(S.bookReturn(one.record, {}))
  t.same(posts(all.effects), ['transfer_return ROPE 1'])
  t.match(all.record, { state: 'closed', outcome: 'partially_returned' })
  t.match(S.bookReturn(all.record, {}), { ok: false, code: 'INVALID_TRANSFER_STATE' })
})

t.test(
  'A: what a receipt marked to come back and never came is written off, and the transfer closes',
  async (t) => {
    const a = sent().record
    const receipt = {
      receiptId: 'R1',
      lines: [{ sku: 'ROPE', received: 6, damaged: 1, short: 3, disposition: 'return' as const }],
      final: true,
    }
    const returning = ok(S.outReceived(a, receipt)).record
    t.match(returning, { state: 'returning', lines: [{ toReturn: 4, returned: 0 }] })
    t.match(S.writeOffDueBack(returning, { lines: [{ sku: 'HAMMER', quantity: 1 }] }), {
      ok: false,
      code: 'VALIDATION_FAILED',
      message: `HAMMER is not on transfer ${returning.id}`,
    })
    t.match(S.writeOffDueBack(returning, { lines: [{ sku: 'ROPE', quantity: 5 }] }), {
      ok: false,
      code: 'EXCEEDS_IN_TRANSIT',
      message: 'Cannot write off more than is to come back: ROPE 5 of 4',
    })
    // The damaged one comes back; the three missing never will.
    const back = ok(S.bookReturn(returning, { lines: [{ sku: 'ROPE', quantity: 1 }] })).record
    t.match(back, { state: 'returning' })
    const lost = ok(S.writeOffDueBack(back, { note: 'not found at the dock' }))
    t.same(posts(lost.effects), ['transfer_writeoff ROPE 3'])
    t.match(
      lost.effects.find((e) => 'post' in e),
      {
        note: '3 written off, due back from Sur and not come back: not found at the dock',
      }
    )
    t.match(lost.record, {
      state: 'closed',
      outcome: 'partially_returned',
      lines: [{ sent: 10, received: 6, returned: 1, toReturn: 1, toWriteOff: 3, writtenOff: 3 }],
    })
    t.equal(S.inTransit(lost.record.lines[0]), 0, 'nothing left on the road')
    t.match(S.writeOffDueBack(lost.record, {}), { ok: false, code: 'INVALID_TRANSFER_STATE' })

    // Refused whole, the goods were never taken in: they come back as they left.
    const rejected = ok(S.outRejected(sent().record, { reason: 'not ours' })).record
    t.match(S.writeOffDueBack(rejected, {}), {
      ok: false,
      code: 'INVALID_TRANSFER_STATE',
      message: /was rejected by Sur: its goods come back whole/,
    })
  }
)

t.test('A: a cancel only asks; accepted, the goods come back; refused, it goes on', async (t) => {
  const a = sent().record
  const asked = ok(S.requestCancel(a, { reason: 'wrong truck' }))
  t.match(asked.record, { state: 'cancel_requested', reason: 'wrong truck' })
  t.same(sends(asked.effects), ['transfer.cancel_requested'])
  t.same(posts(asked.effects), [], 'nothing is booked back on the asking (T6)')
  t.match(S.requestCancel(asked.record, { reason: 'again' }), {
    ok: false,
    code: 'INVALID_TRANSFER_STATE',
    message: /already asked/,
  })
  t.match(S.bookReturn(asked.record, {}), { ok: false, code: 'INVALID_TRANSFER_STATE' })

  const accepted = ok(S.cancelAccepted(asked.record)).record
  t.match(accepted, { state: 'returning', cause: 'cancelled', lines: [{ toReturn: 10 }] })
  t.equal(ok(S.cancelAccepted(accepted)).changed, false, 'told twice, nothing more')
  const closed = ok(S.bookReturn(accepted, {}))
  t.same(posts(closed.effects), ['transfer_return ROPE 10'])
  t.match(closed.record, { state: 'closed', outcome: 'cancelled' })

  const refused = ok(S.cancelRefused(asked.record, { reason: 'received' })).record
  t.match(refused, { state: 'in_transit', reason: /cancel refused by Sur/ })
})

t.test('A: a cancel is refused once a receipt is known', async (t) => {
  const a = ok(
    S.outReceived(sent().record, {
      receiptId: 'R1',
      lines: [{ sku: 'ROPE', received: 1 }],
      final: false,
    })
  ).record
  t.match(S.requestCancel(a, { reason: 'x' }), {
    ok: false,
    code: 'ALREADY_RECEIVED',
    message: 'Transfer T1 cannot be cancelled: Sur has already received against it',
  })
})

t.test(
  'A: a receipt after the cancel was asked settles it; the late refusal changes nothing',
  async (t) => {
    const asked = ok(S.requestCancel(sent().record, { reason: 'x' })).record
    const received = ok(
      S.outReceived(asked, { receiptId: 'R1', lines: [{ sku: 'ROPE', received: 10 }], final: true })
    ).record
    t.match(received, { state: 'closed', outcome: 'delivered' })
    t.equal(ok(S.cancelRefused(received, { reason: 'received' })).changed, false)
  }
)

t.test('A: a rejection brings everything back; a receipt after it is refused', async (t) => {
  const rejected = ok(S.outRejected(sent().record, { reason: 'not ordered' })).record
  t.match(rejected, { state: 'returning', cause: 'rejected', reason: 'not ordered' })
  t.match(
    S.outReceived(rejected, {
      receiptId: 'R1',
      lines: [{ sku: 'ROPE', received: 1 }],
      final: false,
    }),
    {
      ok: false,
      code: 'TRANSFER_REJECTED',
    }
  )
  t.match(ok(S.bookReturn(rejected, {})).record, { state: 'closed', outcome: 'returned' })
})

t.test('A: a receipt of more than was sent books only what was sent', async (t) => {
  const a = sent([['ROPE', 8]]).record
  const r = ok(
    S.outReceived(a, {
      receiptId: 'R1',
      lines: [
        { sku: 'ROPE', received: 10 },
        { sku: 'GHOST', received: 2 },
      ],
      final: true,
    })
  ).record
  t.match(r, { state: 'closed', outcome: 'delivered', lines: [{ sku: 'ROPE', received: 8 }] })
  t.equal(r.lines.length, 1, 'a SKU never sent is not the transfer’s')
})

t.test('B: the dispatch announces it; receipts move it to received', async (t) => {
  const b = ok(S.dispatched(null, dispatch())).record
  t.match(b, { direction: 'in', state: 'announced', peer: 'node-a', lines: [{ sent: 10 }] })
  t.equal(ok(S.dispatched(b, dispatch())).changed, false, 'a second dispatch changes nothing')
  const part = ok(
    S.receive(b, { id: 'T1', receiptId: 'R1', lines: [{ sku: 'ROPE', received: 6 }], final: false })
  )
  t.match(part.record, { state: 'partially_received' })
  t.same(posts(part.effects), ['transfer_in ROPE 6'])
  t.same(sends(part.effects), ['transfer.received'])
  const last = ok(
    S.receive(part.record, {
      id: 'T1',
      receiptId: 'R2',
      lines: [{ sku: 'ROPE', received: 5 }],
      final: true,
    })
  )
  t.match(last.record, { state: 'received', lines: [{ received: 10 }] })
  t.same(
    posts(last.effects),
    ['transfer_in ROPE 4', 'receipt ROPE 1'],
    'the excess is B’s own receipt'
  )
  t.equal(
    ok(
      S.receive(last.record, {
        id: 'T1',
        receiptId: 'R2',
        lines: [{ sku: 'ROPE', received: 5 }],
        final: true,
      })
    ).changed,
    false,
    'the same receipt id again: nothing'
  )
  t.match(
    S.receive(last.record, {
      id: 'T1',
      receiptId: 'R2',
      lines: [{ sku: 'ROPE', received: 4 }],
      final: true,
    }),
    {
      ok: false,
      code: 'CONFLICT',
      message:
        'Receipt R2 of transfer T1 was recorded with other lines: give this receipt an id of its own, or send it as it was recorded',
    },
    'the same receipt id with other counts: said, not answered with the first'
  )
  t.match(
    S.receive(last.record, {
      id: 'T1',
      receiptId: 'R3',
      lines: [{ sku: 'ROPE', received: 1 }],
      final: true,
    }),
    {
      ok: false,
      code: 'ALREADY_FINAL',
    }
  )
})

t.test('B: a transfer takes so many receipts, the last of them its final one', async (t) => {
  let b = ok(S.dispatched(null, dispatch([['ROPE', 1000]]))).record
  const one = (i: number, final = false) => ({
    id: 'T1',
    receiptId: `R${i}`,
    lines: [{ sku: 'ROPE', received: 1 }],
    final,
  })
  for (let i = 1; i < S.MAX_RECEIPTS; i++) b = ok(S.receive(b, one(i))).record
  t.match(S.receive(b, one(S.MAX_RECEIPTS)), {
    ok: false,
    code: 'CONFLICT',
    message: `Transfer T1 has had ${S.MAX_RECEIPTS - 1} receipts, as many as it takes before its final one: record what else came as its final receipt (final: true)`,
  })
  t.equal(ok(S.receive(b, one(1))).changed, false, 'a receipt given again is still its answer')
  const last = ok(S.receive(b, one(S.MAX_RECEIPTS, true))).record
  t.match(last, { state: 'received' })
  t.equal(last.receipts.length, S.MAX_RECEIPTS)
})

t.test(
  'B: damaged or short beyond what is left of what was sent is refused, not cut down',
  async (t) => {
    const b = ok(S.dispatched(null, dispatch())).record // ROPE: 10 sent
    const part = ok(
      S.receive(b, {
        id: 'T1',
        receiptId: 'R1',
        lines: [{ sku: 'ROPE', received: 6 }],
        final: false,
      })
    ).record
    const receipt = (line: S.ReceiptLine) =>
      S.receive(part, { id: 'T1', receiptId: 'R2', lines: [line], final: false })
    t.match(receipt({ sku: 'ROPE', received: 3, damaged: 2, disposition: 'write_off' }), {
      ok: false,
      code: 'VALIDATION_FAILED',
      message:
        'ROPE: 2 damaged is more than the 1 left of the 10 sent, 6 accounted for by earlier receipts, after the 3 received: count again',
      details: [{ path: 'lines.0.damaged' }],
    })
    t.match(receipt({ sku: 'ROPE', received: 0, damaged: 3, short: 2, disposition: 'return' }), {
      ok: false,
      details: [
        {
          path: 'lines.0.short',
          message:
            'is more than the 1 left of the 10 sent, 6 accounted for by earlier receipts, after the 0 received and 3 damaged',
        },
      ],
    })
    // Within what is left it stands as given; more received than is left is B's own receipt.
    t.match(
      ok(receipt({ sku: 'ROPE', received: 2, damaged: 2, disposition: 'write_off' })).record,
      {
        lines: [{ received: 8, damaged: 2, toWriteOff: 2 }],
      }
    )
    t.same(posts(ok(receipt({ sku: 'ROPE', received: 6 })).effects), [
      'transfer_in ROPE 4',
      'receipt ROPE 2',
    ])
  }
)

t.test('B: a final receipt short of what was sent leaves nothing to arrive, as at A', async (t) => {
  const b = ok(S.dispatched(null, dispatch())).record
  const part = ok(
    S.receive(b, { id: 'T1', receiptId: 'R1', lines: [{ sku: 'ROPE', received: 6 }], final: false })
  ).record
  const last = ok(
    S.receive(part, {
      id: 'T1',
      receiptId: 'R2',
      lines: [{ sku: 'ROPE', received: 1 }],
      final: true,
    })
  )
  t.match(last.record, { state: 'received', lines: [{ sent: 10, received: 7, short: 3 }] })
  t.equal(lineView(last.record.lines[0], 'in').inTransit, 0, 'nothing still on its way')
  t.same(posts(last.effects), ['transfer_in ROPE 1'], 'B books only what came')
  // A applies the same receipts: both sides tell the same story of the line.
  let atA = sent().record
  for (const r of last.record.receipts) atA = ok(S.outReceived(atA, r)).record
  const story = ({ sent, received, damaged, short, toWriteOff, toReturn }: S.LineRecord) => ({
    sent,
    received,
    damaged,
    short,
    toWriteOff,
    toReturn,
  })
  t.same(story(atA.lines[0]), story(last.record.lines[0]), 'A and B tell the same story')
  // Final before the dispatch came: settled once what was sent is known.
  const early = ok(S.receive(null, beforeDispatch(4))).record
  const late = ok(S.dispatched(early, dispatch())).record
  t.match(late.lines, [{ sent: 10, received: 4, short: 6 }])
  t.equal(lineView(late.lines[0], 'in').inTransit, 0)
})

t.test(
  'received before the dispatch with damaged and short: cut to what was sent one after the other, at both ends',
  async (t) => {
    // 10 sent; counted on trust before the dispatch came: 6 good, 3 damaged, 4 short (13).
    const counted = {
      ...beforeDispatch(6),
      lines: [
        { sku: 'ROPE', received: 6, damaged: 3, short: 4, disposition: 'write_off' as const },
      ],
      final: false,
    }
    const b = ok(S.dispatched(ok(S.receive(null, counted)).record, dispatch())).record
    // Received first, then damaged, then short, each within what is left: 6 + 3 + 1 = 10, and
    // the write-off is the 4 lost, not 7 (3 units once vanished from the company's books).
    const told = { sent: 10, received: 6, damaged: 3, short: 1, toWriteOff: 4 }
    t.match(b.lines, [told])
    let a = sent().record
    for (const r of b.receipts) a = ok(S.outReceived(a, r)).record
    t.match(a.lines, [told], 'A counts the same receipt the same way')
  }
)

t.test(
  'B: received before the dispatch arrived, then reconciled with an excess pair',
  async (t) => {
    t.match(
      S.receive(null, {
        id: 'T1',
        receiptId: 'R1',
        lines: [{ sku: 'ROPE', received: 12 }],
        final: true,
      }),
      {
        ok: false,
        code: 'VALIDATION_FAILED',
        details: [{ path: 'from' }],
      }
    )
    const early = ok(S.receive(null, beforeDispatch(12)))
    t.match(early.record, {
      state: 'unannounced',
      announced: false,
      lines: [{ sent: 0, received: 12 }],
    })
    t.same(posts(early.effects), ['transfer_in ROPE 12'])
    const late = ok(S.dispatched(early.record, dispatch()))
    t.match(late.record, {
      state: 'received',
      announced: true,
      lines: [{ sent: 10, received: 10 }],
    })
    t.same(posts(late.effects), ['receipt ROPE 2', 'transfer_in ROPE -2'])
    t.equal(ok(S.dispatched(late.record, dispatch())).changed, false)
  }
)

t.test('B: reject before any receipt; refused after one', async (t) => {
  const b = ok(S.dispatched(null, dispatch())).record
  const rejected = ok(S.reject(b, { reason: 'not ordered' }))
  t.match(rejected.record, { state: 'rejected' })
  t.same(sends(rejected.effects), ['transfer.rejected'])
  t.match(
    S.receive(rejected.record, {
      id: 'T1',
      receiptId: 'R1',
      lines: [{ sku: 'ROPE', received: 1 }],
      final: false,
    }),
    {
      ok: false,
      code: 'TRANSFER_REJECTED',
    }
  )
  const received = ok(
    S.receive(b, { id: 'T1', receiptId: 'R1', lines: [{ sku: 'ROPE', received: 1 }], final: false })
  ).record
  t.match(S.reject(received, { reason: 'x' }), { ok: false, code: 'ALREADY_RECEIVED' })
  t.match(S.reject(sent().record, { reason: 'x' }), { ok: false, code: 'INVALID_TRANSFER_STATE' })
})

t.test(
  'B: receipts made before the dispatch are undone by a reject once the sender refused them',
  async (t) => {
    const early = ok(S.receive(null, beforeDispatch(4))).record
    t.match(S.reject(early, { reason: 'x' }), { ok: false, code: 'ALREADY_RECEIVED' })
    const undone = ok(S.reject(early, { reason: 'wrong id on the note' }, true))
    t.match(undone.record, { state: 'rejected', reason: 'wrong id on the note' })
    t.same(posts(undone.effects), ['transfer_in ROPE -4'])
    t.same(sends(undone.effects), [], 'the sender knows nothing of it: nothing is sent')
    t.match(undone.record.lines, [{ sku: 'ROPE', received: 0, damaged: 0, short: 0 }])
    t.match(S.receive(undone.record, { ...beforeDispatch(1), receiptId: 'R2' }), {
      ok: false,
      code: 'TRANSFER_REJECTED',
    })
    // Once announced, the sender knows the transfer: a receipt stands, whatever was refused.
    const announced = ok(S.dispatched(early, dispatch())).record
    t.match(S.reject(announced, { reason: 'x' }, true), { ok: false, code: 'ALREADY_RECEIVED' })
  }
)

t.test('B: a cancel request is accepted without a receipt, refused after one (T6)', async (t) => {
  const b = ok(S.dispatched(null, dispatch())).record
  const req = { id: 'T1', peer: 'node-a', peerName: 'Norte', reason: 'wrong truck' }
  const cancelled = ok(S.cancelRequested(b, req))
  t.match(cancelled.record, { state: 'cancelled', reason: 'wrong truck' })
  t.same(sends(cancelled.effects), ['transfer.cancel_accepted'])
  t.same(
    sends(ok(S.cancelRequested(cancelled.record, req)).effects),
    ['transfer.cancel_accepted'],
    'asked again, the same answer'
  )
  t.match(
    S.receive(cancelled.record, {
      id: 'T1',
      receiptId: 'R1',
      lines: [{ sku: 'ROPE', received: 1 }],
      final: false,
    }),
    {
      ok: false,
      code: 'TRANSFER_CANCELLED',
    }
  )

  const received = ok(
    S.receive(b, { id: 'T1', receiptId: 'R1', lines: [{ sku: 'ROPE', received: 1 }], final: false })
  ).record
  const refused = ok(S.cancelRequested(received, req))
  t.equal(refused.changed, false)
  t.same(sends(refused.effects), ['transfer.cancel_refused'])
  t.match(refused.record, { state: 'partially_received' })

  const unknown = ok(S.cancelRequested(null, req))
  t.match(unknown.record, { state: 'cancelled' }, 'a cancel before the dispatch: accepted')
  t.equal(
    ok(S.dispatched(unknown.record, dispatch())).changed,
    false,
    'the late dispatch changes nothing'
  )
})

t.test(
  'told again: each side rebuilds from its record what it told, and the other side takes it once',
  async (t) => {
    const sender = { fromName: 'Norte', items: { ROPE: ITEM } }
    const told = (r: TransferRecord) => S.toldAgain(r, sender)
    const a = sent().record
    t.same(told(a), [
      {
        send: 'transfer.dispatched',
        payload: {
          fromName: 'Norte',
          lines: [{ sku: 'ROPE', quantity: 10, item: ITEM }],
          reference: 'PO-7',
          note: '',
        },
      },
    ])
    const asked = ok(S.requestCancel(a, { reason: 'wrong rope' })).record
    t.same(sends(told(asked)), ['transfer.dispatched', 'transfer.cancel_requested'])
    t.same(told(asked)[1], { send: 'transfer.cancel_requested', payload: { reason: 'wrong rope' } })

    // At B: nothing before a receipt; its receipts, and a cancel refused after them.
    const b = ok(S.dispatched(null, dispatch())).record
    t.same(told(b), [])
    const part = ok(
      S.receive(b, {
        id: 'T1',
        receiptId: 'R1',
        lines: [{ sku: 'ROPE', received: 4 }],
        final: false,
      })
    ).record
    t.same(sends(told(part)), ['transfer.received', 'transfer.cancel_refused'])
    // A waiting on its cancel, its answer lost: the receipt counts once, the refusal ends the wait.
    let atA = asked
    for (const e of told(part)) {
      if (!('send' in e)) continue
      const step =
        e.send === 'transfer.received'
          ? S.outReceived(atA, e.payload as never)
          : S.cancelRefused(atA, e.payload as never)
      atA = ok(step).record
    }
    t.match(atA, { state: 'partially_received', lines: [{ sku: 'ROPE', received: 4 }] })
    const receipt = told(part)[0]
    if (!('send' in receipt)) throw new Error('a receipt told again')
    t.equal(ok(S.outReceived(atA, receipt.payload as never)).changed, false, 'once')
    t.equal(ok(S.dispatched(part, dispatch())).changed, false, 'a dispatch told again: nothing')

    const rejected = ok(S.reject(b, { reason: 'not ours' })).record
    t.same(told(rejected), [{ send: 'transfer.rejected', payload: { reason: 'not ours' } }])
    const cancelled = ok(
      S.cancelRequested(b, { id: 'T1', peer: 'node-a', peerName: 'Norte', reason: 'x' })
    ).record
    t.same(told(cancelled), [{ send: 'transfer.cancel_accepted', payload: {} }])
    // A restored without its request, still in transit: B's acceptance told again is taken.
    t.match(ok(S.cancelAccepted(a)).record, {
      state: 'returning',
      cause: 'cancelled',
      lines: [{ sku: 'ROPE', toReturn: 10 }],
    })
    const partly = ok(
      S.outReceived(a, { receiptId: 'R1', lines: [{ sku: 'ROPE', received: 4 }], final: false })
    ).record
    t.equal(ok(S.cancelAccepted(partly)).changed, false, 'after a receipt: nothing')
    // Receipts undone because their sender has no such transfer: nothing to tell it.
    const early = ok(S.receive(null, beforeDispatch(3))).record
    t.same(sends(told(early)), ['transfer.received', 'transfer.cancel_refused'])
    const undone = ok(S.reject(early, { reason: 'not from Norte' }, true)).record
    t.same(told(undone), [])
    // Closed at A: nothing.
    const closed = ok(
      S.outReceived(a, { receiptId: 'R9', lines: [{ sku: 'ROPE', received: 10 }], final: true })
    ).record
    t.match(closed, { state: 'closed' })
    t.same(told(closed), [])
  }
)

t.test('a cancel refused after many receipts names as many as its reason holds', async (t) => {
  let b = ok(S.dispatched(null, dispatch([['ROPE', 100]]))).record
  for (let i = 0; i < 40; i++) {
    const receiptId = `${'R'.repeat(60)}-${i}`
    b = ok(
      S.receive(b, { id: 'T1', receiptId, lines: [{ sku: 'ROPE', received: 1 }], final: false })
    ).record
  }
  const [answer] = ok(
    S.cancelRequested(b, { id: 'T1', peer: 'node-a', peerName: 'Norte', reason: 'x' })
  ).effects
  const reason = 'send' in answer ? String(answer.payload.reason) : ''
  t.ok(reason.length <= 1000, `${reason.length} characters`)
  t.match(reason, /^goods were already received against it \(R+-0, R+-1, .* and \d+ more\)$/)
  t.ok(messagePayloads['transfer.cancel_refused'].safeParse({ reason }).success, 'a peer takes it')
})

// ---------------------------------------------------------------------------------------------
// Random histories: the two machines joined by message queues that deliver late, twice, and
// interleaved with the people at both ends; the ledgers both sides would post are kept, and the
// invariants are checked after every step and once all has settled.

function random(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let x = Math.imul(s ^ (s >>> 15), 1 | s)
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

interface Ledger {
  onHand: Map<string, number>
  sent: Map<string, number>
  received: Map<string, number>
  /** B's own receipts of an excess (outside stock entering the company). */
  external: number
  /** A's write-offs of goods lost in transit (stock leaving the company). */
  lost: number
}

const ledger = (): Ledger => ({
  onHand: new Map(),
  sent: new Map(),
  received: new Map(),
  external: 0,
  lost: 0,
})
const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n)
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0)

function book(l: Ledger, effects: Effect[]) {
  for (const e of effects) {
    if (!('post' in e)) continue
    if (e.post === 'transfer_out')
      (add(l.onHand, e.sku, -e.quantity), add(l.sent, e.sku, e.quantity))
    if (e.post === 'transfer_return')
      (add(l.onHand, e.sku, e.quantity), add(l.sent, e.sku, -e.quantity))
    if (e.post === 'transfer_writeoff') (add(l.sent, e.sku, -e.quantity), (l.lost += e.quantity))
    if (e.post === 'transfer_in')
      (add(l.onHand, e.sku, e.quantity), add(l.received, e.sku, e.quantity))
    if (e.post === 'receipt') (add(l.onHand, e.sku, e.quantity), (l.external += e.quantity))
  }
}

type Message = { kind: string; payload: Record<string, unknown> }

function history(seed: number) {
  const rnd = random(seed)
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]
  const skus = ['A', 'B', 'C'].slice(0, 1 + Math.floor(rnd() * 3))
  const quantities = skus.map((sku) => [sku, 1 + Math.floor(rnd() * 9)] as [string, number])
  const la = ledger()
  const lb = ledger()
  for (const sku of skus) la.onHand.set(sku, 100)
  const start = sum(la.onHand)
  const created = sent(quantities)
  book(la, created.effects)
  let a = created.record
  let b: TransferRecord | null = null
  const toB: Message[] = []
  const toA: Message[] = []
  const delivered: { toB: Message[]; toA: Message[] } = { toB: [], toA: [] }
  const queue = (into: Message[], effects: Effect[]) => {
    for (const e of effects) if ('send' in e) into.push({ kind: e.send, payload: e.payload })
  }
  queue(toB, created.effects)
  let receipts = 0
  /** Each receipt as B's staff sent it, by id: a retry sends it again as it was. */
  const sentReceipts = new Map<string, { lines: S.ReceiptLine[]; final: boolean }>()
  const log: string[] = []

  const atB = (m: Message) => {
    const p = m.payload as never as Record<string, never>
    let step: Step
    if (m.kind === 'transfer.dispatched') {
      step = S.dispatched(b, {
        ...dispatch(),
        lines: p.lines as { sku: string; quantity: number }[],
      })
    } else if (m.kind === 'transfer.cancel_requested') {
      step = S.cancelRequested(b, { id: 'T1', peer: 'node-a', peerName: 'Norte', reason: 'x' })
    } else throw new Error(m.kind)
    if (!step.ok) throw new Error(`B refused a message: ${step.message}`)
    b = step.record
    book(lb, step.effects)
    queue(toA, step.effects)
  }
  const atA = (m: Message) => {
    const p = m.payload as Record<string, never>
    const step =
      m.kind === 'transfer.received'
        ? S.outReceived(a, p as never)
        : m.kind === 'transfer.rejected'
          ? S.outRejected(a, p as never)
          : m.kind === 'transfer.cancel_accepted'
            ? S.cancelAccepted(a)
            : S.cancelRefused(a, p as never)
    if (!step.ok) throw new Error(`A refused ${m.kind}: ${step.message}`)
    a = step.record
    book(la, step.effects)
  }
  const people = () => {
    const r = rnd()
    if (r < 0.45) {
      // B's staff count what arrived (maybe before the dispatch is known, maybe too many).
      const lines = skus
        .filter(() => rnd() < 0.7)
        .map((sku) => {
          const damaged = rnd() < 0.2 ? 1 : 0
          return {
            sku,
            received: Math.floor(rnd() * 6),
            ...(damaged ? { damaged, disposition: pick(['write_off', 'return'] as const) } : {}),
          }
        })
        .filter((l) => l.received + (l.damaged ?? 0) > 0)
      if (lines.length === 0) return
      // A retry: the last receipt sent again as it was sent (the same id with other lines is
      // refused, CONFLICT, and changes nothing).
      const retry = rnd() < 0.1 && receipts > 0 ? sentReceipts.get(`R${receipts}`) : undefined
      const id = retry ? `R${receipts}` : `R${++receipts}`
      const final = retry ? retry.final : rnd() < 0.3
      if (retry) lines.splice(0, lines.length, ...retry.lines)
      else sentReceipts.set(id, { lines, final })
      const receipt = (given: typeof lines) =>
        S.receive(b, {
          id: 'T1',
          peer: 'node-a',
          peerName: 'Norte',
          receiptId: id,
          lines: given,
          final,
        })
      let step = receipt(lines)
      // More damaged than is left of what was sent: refused, and counted again (none damaged).
      if (!step.ok && step.code === 'VALIDATION_FAILED') {
        log.push(`B receive ${id} ${step.code}, counted again`)
        const again = lines
          .map(({ sku, received }) => ({ sku, received }))
          .filter((l) => l.received > 0)
        if (again.length === 0) return
        step = receipt(again)
      }
      log.push(`B receive ${id} ${step.ok ? 'ok' : step.code}`)
      if (!step.ok) return
      b = step.record
      book(lb, step.effects)
      queue(toA, step.effects)
    } else if (r < 0.55 && b) {
      const step = S.reject(b, { reason: 'no' })
      log.push(`B reject ${step.ok ? 'ok' : step.code}`)
      if (step.ok) ((b = step.record), queue(toA, step.effects))
    } else if (r < 0.7) {
      const step = S.requestCancel(a, { reason: 'x' })
      log.push(`A cancel ${step.ok ? 'ok' : step.code}`)
      if (step.ok) ((a = step.record), queue(toB, step.effects))
    } else {
      // What is due back comes back, or (a receipt's, lost on the way) is written off at A.
      const writeOff = rnd() < 0.25
      const step = writeOff ? S.writeOffDueBack(a, {}) : S.bookReturn(a, {})
      log.push(`A ${writeOff ? 'write-off' : 'return'} ${step.ok ? 'ok' : step.code}`)
      if (step.ok) ((a = step.record), book(la, step.effects))
    }
  }
  const deliver = (from: Message[], done: Message[], to: (m: Message) => void) => {
    // A duplicate of one already delivered (the inbox would de-duplicate by message id; the
    // machines must stand it by themselves too), or the next in order.
    if (done.length > 0 && rnd() < 0.2) return to(pick(done))
    const m = from.shift()
    if (!m) return
    done.push(m)
    to(m)
  }

  const check = (when: string) => {
    const where = `seed ${seed} ${when}: ${log.join(', ')}`
    for (const line of a.lines) {
      // T1 at A.
      if (line.received + line.writtenOff + line.returned > line.sent)
        throw new Error(`T1 ${where}`)
      if (line.returned > line.toReturn || line.writtenOff > line.toWriteOff)
        throw new Error(`T1' ${where}`)
    }
    // Each side's lines agree with the rows it posted, which a restore checks them against
    // (db/transfers/rebuild.ts outOfStep): at A what is sent less returned and written off, at B
    // what is received.
    for (const line of a.lines) {
      if ((la.sent.get(line.sku) ?? 0) !== line.sent - line.returned - line.writtenOff)
        throw new Error(`A's line ${line.sku} off its rows ${where}`)
    }
    for (const line of b?.lines ?? []) {
      if ((lb.received.get(line.sku) ?? 0) !== line.received)
        throw new Error(`B's line ${line.sku} off its rows ${where}`)
    }
    // T4: never negative on hand.
    for (const l of [la, lb])
      for (const [, n] of l.onHand) if (n < 0) throw new Error(`T4 ${where}`)
    // T3: conservation: on hand + in transit (Σ sent − Σ received) = start + outside receipts −
    // write-offs.
    const total = sum(la.onHand) + sum(lb.onHand) + sum(la.sent) - sum(lb.received)
    const implied = start + lb.external - la.lost
    if (total !== implied) throw new Error(`T3 ${total} ≠ ${implied} ${where}`)
    // T6: goods come back at A only with B's word: a cancel B accepted, a rejection, a receipt.
    if (
      a.lines.some((l) => l.returned > 0) &&
      a.cause === 'cancelled' &&
      b &&
      b.state !== 'cancelled'
    )
      throw new Error(`T6 ${where}`)
  }

  // A disk lost: the side's record comes back from its log (here, whole), its outbox does not;
  // it tells its peer again what it did (S.toldAgain), with messages the peer never saw.
  const restore = () => {
    const sender = { fromName: 'Norte', items: Object.fromEntries(skus.map((k) => [k, ITEM])) }
    if (rnd() < 0.5) {
      toB.length = 0
      queue(toB, S.toldAgain(a, sender))
      log.push('A restored')
    } else if (b) {
      toA.length = 0
      queue(toA, S.toldAgain(b, sender))
      log.push('B restored')
    }
  }

  for (let i = 0; i < 40; i++) {
    const r = rnd()
    if (r < 0.35) deliver(toB, delivered.toB, atB)
    else if (r < 0.7) deliver(toA, delivered.toA, atA)
    else if (r < 0.75) restore()
    else people()
    check(`step ${i}`)
  }
  // Faults heal: every message is delivered; B's staff finish the receipt if it is theirs to do;
  // A books back whatever is to come back.
  const drain = () => {
    while (toB.length || toA.length) {
      while (toB.length) deliver(toB, delivered.toB, atB)
      while (toA.length) deliver(toA, delivered.toA, atA)
    }
  }
  drain()
  const open = () =>
    b && !['received', 'rejected', 'cancelled'].includes((b as TransferRecord).state)
  if (open()) {
    const step = S.receive(b, {
      id: 'T1',
      receiptId: 'R-last',
      // Nothing more came: the final receipt marks what is left short (a short beyond it is refused).
      lines: [{ sku: skus[0], received: 0 }],
      final: true,
    })
    if (step.ok) ((b = step.record), book(lb, step.effects), queue(toA, step.effects))
  }
  drain()
  if (a.state === 'returning') {
    const step = S.bookReturn(a, {})
    if (step.ok) ((a = step.record), book(la, step.effects))
  }
  check('settled')
  return { a, b: b as TransferRecord | null, la, lb, log }
}

t.test('random histories keep T1, T3, T4 and T6 at every step, and settle (T5)', async (t) => {
  const outcomes = new Map<string, number>()
  for (let seed = 1; seed <= 3000; seed++) {
    const { a, b, la, lb, log } = history(seed)
    const where = `seed ${seed}: ${log.join(', ')}`
    // T5: once faults heal and people have acted, A's transfer is closed.
    if (a.state !== 'closed') {
      // Only a cancel refused by a dispatch never delivered can leave it open: not in this model.
      t.fail(`not closed (${a.state}, B ${b?.state}) ${where}`)
      break
    }
    // T1 with equality once closed, and nothing left in transit anywhere.
    for (const line of a.lines) {
      if (line.received + line.writtenOff + line.returned !== line.sent) {
        t.fail(`T1 on close ${JSON.stringify(line)} ${where}`)
        return
      }
    }
    if (sum(la.sent) - sum(lb.received) !== 0) {
      t.fail(`in transit left: ${sum(la.sent)} sent, ${sum(lb.received)} received ${where}`)
      return
    }
    // T6: a transfer B cancelled or rejected received nothing.
    if (b && (b.state === 'cancelled' || b.state === 'rejected') && sum(lb.received) !== 0) {
      t.fail(`T6 ${where}`)
      return
    }
    outcomes.set(a.outcome ?? '', (outcomes.get(a.outcome ?? '') ?? 0) + 1)
  }
  t.same(
    [...outcomes.keys()].sort(),
    ['cancelled', 'delivered', 'delivered_with_loss', 'partially_returned', 'returned'],
    `every outcome is reached: ${JSON.stringify([...outcomes])}`
  )
})
