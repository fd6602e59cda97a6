// One transfer's story as the text client prints it: each message's delivery says what happened
// to it, a refusal never reading as delivered.
import t from 'tap'
import type { TransferDetail, TransferLine, TransferMessage } from '../../api/index.ts'
import { onTheRoad, transferStory, transferTable } from '../../client/transfer-view.ts'
import { receiveChoice, transferChoice } from '../../client/commands/transfers.ts'
import { transferLine } from '../fixtures/transfer-line.ts'

const ID = '0f8e4c52-9a1b-4d2e-8c3f-5b6a7d8e9f01'

function message(fields: Partial<TransferMessage>): TransferMessage {
  return {
    id: `m-${Math.random()}`,
    kind: 'transfer.received',
    direction: 'outbound',
    peer: 'node-a',
    createdAt: '2026-12-03T04:00:00.000Z',
    deliveredAt: null,
    status: 'pending',
    code: null,
    attempts: 0,
    nextAttemptAt: null,
    lastError: null,
    ...fields,
  }
}

/** An incoming transfer from Norte, with what it is given. */
function detail(more: Partial<TransferDetail> = {}): TransferDetail {
  return {
    id: ID,
    direction: 'in',
    peer: 'node-a',
    peerName: 'Norte',
    state: 'unannounced',
    outcome: null,
    reference: '',
    note: '',
    reason: null,
    createdAt: '2026-12-03T04:00:00.000Z',
    updatedAt: '2026-12-03T04:00:00.000Z',
    closedAt: null,
    lines: [],
    messages: [],
    receipts: [],
    ...more,
  }
}

function story(messages: TransferMessage[], more: Partial<TransferDetail> = {}): string {
  return transferStory(detail({ messages, ...more }), 200)
}

t.test(
  'a message the peer refused reads as refused, with its reason, never as delivered',
  async (t) => {
    const out = story([
      message({
        deliveredAt: '2026-12-03T04:00:01.000Z',
        status: 'refused',
        attempts: 1,
        lastError: `refused by the peer: NOT_FOUND: No transfer ${ID} here for transfer.received`,
      }),
    ])
    t.match(
      out,
      new RegExp(
        `REFUSED by the peer .*: NOT_FOUND: No transfer ${ID} here for transfer\\.received`
      )
    )
    t.notMatch(out, /delivered/)
  }
)

t.test('a message refused here says it changed nothing; one applied says so', async (t) => {
  const refused = story([
    message({
      direction: 'inbound',
      kind: 'transfer.dispatched',
      status: 'refused',
      lastError: 'refused here',
    }),
  ])
  t.match(refused, /came in +REFUSED here: it changed nothing/)
  const applied = story([
    message({ direction: 'inbound', kind: 'transfer.dispatched', status: 'applied' }),
  ])
  t.match(applied, /came in +received and applied/)
})

t.test('delivered, and pending with its attempts and last error, as before', async (t) => {
  const out = story([
    message({
      kind: 'transfer.dispatched',
      deliveredAt: '2026-12-03T04:00:01.000Z',
      status: 'applied',
      attempts: 1,
    }),
    message({ attempts: 3, lastError: 'Norte not reached: connection refused' }),
  ])
  t.match(out, /dispatched +sent +delivered /)
  t.match(out, /received +sent +PENDING, 3 attempts: Norte not reached: connection refused/)
})

t.test(
  'a transfer a restore left out of step says so, and why; others say nothing of it',
  async (t) => {
    const why = 'its record lags its ledger rows (ROPE: received 4 by the ledger, 0 by its record)'
    t.match(story([], { outOfStep: why }), /Out of step: +since the restore, its record lags/)
    t.notMatch(story([]), /Out of step/)
  }
)

t.test(
  'the list says what is on the road per SKU when several are (their units may differ), and the receive choice what is still due',
  async (t) => {
    const line = (sku: string, sent: number, inTransit: number) =>
      transferLine({ sku, sent, received: sent - inTransit, inTransit })
    const transfer = (lines: TransferLine[]) =>
      detail({ state: 'partially_received', reference: 'DN-4', lines })
    const two = transfer([line('BOLT-M8', 60, 10), line('CABLE', 100, 40)])
    t.equal(onTheRoad(two), 'BOLT-M8 ×10, CABLE ×40', 'not 50: ea and m add up to nothing')
    t.equal(onTheRoad(transfer([line('BOLT-M8', 60, 30), line('NUT-M8', 100, 0)])), '30')
    t.equal(onTheRoad(transfer([line('BOLT-M8', 60, 0)])), '0')
    t.match(
      transferTable([two], 200),
      /partially received +BOLT-M8 ×10, CABLE ×40 +BOLT-M8 ×60, CABLE ×100 +DN-4/
    )
    t.match(receiveChoice(two).title, /· BOLT-M8 ×10, CABLE ×40 due · DN-4$/)
    t.match(
      transferChoice(two).title,
      /· BOLT-M8 ×60, CABLE ×100 · DN-4$/,
      'what it carries, elsewhere'
    )
  }
)
