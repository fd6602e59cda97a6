// One transfer's story as the text client prints it: each message's delivery says what happened
// to it, a refusal never reading as delivered.
import t from 'tap'
import type { TransferDetail, TransferMessage } from '../../api/index.ts'
import { transferStory } from '../../client/transfer-view.ts'

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

function story(messages: TransferMessage[], more: Partial<TransferDetail> = {}): string {
  const transfer: TransferDetail = {
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
    messages,
    receipts: [],
    ...more,
  }
  return transferStory(transfer, 200)
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
