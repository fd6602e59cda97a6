// Which step a transfer waits on here, as both clients offer it: from the list (listedStep) and
// from its detail (stepOn), for each side and state.
import t from 'tap'
import type { TransferDetail, TransferLine, TransferMessage } from '../../api/index.ts'
import { dueBack, listedStep, stepOn } from '../../api/transfer-steps.ts'
import { transferLine as line } from '../fixtures/transfer-line.ts'

const receipt = (status: TransferMessage['status'], code: string | null = null) =>
  ({ kind: 'transfer.received', direction: 'outbound', status, code }) as TransferMessage

function transfer(fields: Partial<TransferDetail>): TransferDetail {
  return {
    id: '5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10',
    direction: 'out',
    peer: 'n2',
    peerName: 'Norte',
    state: 'in_transit',
    outcome: null,
    reference: '',
    note: '',
    reason: null,
    createdAt: '2026-12-03T08:00:00.000Z',
    updatedAt: '2026-12-03T08:00:00.000Z',
    closedAt: null,
    lines: [line()],
    messages: [],
    receipts: [],
    ...fields,
  }
}

const aReceipt = [{ receiptId: 'r1', final: true, createdAt: '2026-12-03T08:01:00.000Z' }]

t.test('at the sender: cancel while in transit, book back whatever is due back', async (t) => {
  const inTransit = transfer({})
  t.equal(listedStep(inTransit), 'cancel')
  t.equal(stepOn(inTransit), 'cancel')
  for (const state of ['partially_received', 'cancel_requested', 'returning'] as const) {
    const due = transfer({ state, lines: [line({ toReturn: 4, returned: 1, inTransit: 3 })] })
    t.equal(listedStep(due), 'return', state)
    t.equal(stepOn(due), 'return', state)
    t.same(dueBack(due), [{ sku: 'BOLT-M8', due: 3 }])
    const none = transfer({ state, lines: [line({ toReturn: 4, returned: 4, inTransit: 0 })] })
    t.equal(listedStep(none), null, `${state}, all booked back`)
    t.equal(stepOn(none), null)
  }
  t.equal(stepOn(transfer({ state: 'closed', outcome: 'delivered' })), null)
})

t.test(
  'at the receiver: reject before any receipt, undo only what the sender refused',
  async (t) => {
    const announced = transfer({ direction: 'in', state: 'announced' })
    t.equal(listedStep(announced), 'reject')
    t.equal(stepOn(announced), 'reject')
    const refused = [receipt('refused', 'NOT_FOUND'), receipt('refused', 'NOT_FOUND')]
    const undone = transfer({ direction: 'in', state: 'unannounced', receipts: aReceipt })
    t.equal(listedStep(undone), 'undo', 'listed: its messages say whether it does')
    t.equal(stepOn({ ...undone, messages: refused }), 'undo')
    t.equal(stepOn({ ...undone, messages: [refused[0], receipt('pending')] }), null, 'one pending')
    t.equal(
      stepOn({ ...undone, messages: [receipt('refused', 'FORBIDDEN')] }),
      null,
      'another code'
    )
    t.equal(stepOn({ ...undone, messages: [receipt('applied')] }), null, 'the sender took it')
    for (const state of ['partially_received', 'received', 'rejected', 'cancelled'] as const) {
      const past = transfer({ direction: 'in', state, receipts: aReceipt })
      t.equal(listedStep(past), null, state)
      t.equal(stepOn(past), null, state)
    }
  }
)
