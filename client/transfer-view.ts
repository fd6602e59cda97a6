// How transfers read on screen, the same in the menus and the one-shot commands: a list as a
// table, one transfer's story (its lines, its messages and their delivery, its receipts), and a
// sentence for what was just sent or received.
import {
  figuresShown,
  type LineFigure,
  type Transfer,
  type TransferDetail,
  type TransferLine,
  type TransferMessage,
} from '../api/index.ts'
import { plural, when } from './format.ts'
import { details, table, type Column } from './table.ts'

/** "to Norte" at the sender, "from Sur" at the receiver. */
export const counterpart = (t: Transfer) => `${t.direction === 'out' ? 'to' : 'from'} ${t.peerName}`

/** States whose name alone would puzzle a person. */
const STATE_WORDS: Partial<Record<Transfer['state'], string>> = {
  unannounced: "unannounced (its sender's message has not arrived)",
}

/** The state in words, with how a closed transfer ended: "closed (delivered with loss)". */
export function stateOf(t: Transfer): string {
  const state = STATE_WORDS[t.state] ?? t.state.replace(/_/g, ' ')
  return t.outcome ? `${state} (${t.outcome.replace(/_/g, ' ')})` : state
}

/**
 * What is still on the road: a number when one SKU is, each SKU with its own otherwise (their
 * units may differ: BOLT-M8 in ea and CABLE in m add up to nothing).
 */
export function onTheRoad(t: Transfer): string {
  const due = t.lines.filter((l) => l.inTransit > 0)
  return due.length <= 1 ? String(due[0]?.inTransit ?? 0) : stillDue(t)
}

/** "BOLT-M8 ×10, NUT-M8 ×5": what a transfer carries, as sent (or received, before the dispatch). */
export const contents = (t: Transfer) =>
  t.lines.map((l) => `${l.sku} ×${l.sent || l.received}`).join(', ')

/** "BOLT-M8 ×30": what of a transfer is still on its way, line by line. */
export const stillDue = (t: Transfer) =>
  t.lines
    .filter((l) => l.inTransit > 0)
    .map((l) => `${l.sku} ×${l.inTransit}`)
    .join(', ')

const LIST_COLUMNS: Column<Transfer>[] = [
  { header: 'ID', value: (t) => t.id },
  { header: 'WHEN', value: (t) => when(t.createdAt) },
  { header: 'WAREHOUSE', value: counterpart },
  { header: 'STATE', value: stateOf },
  { header: 'IN TRANSIT', value: onTheRoad, shrink: true },
  { header: 'ITEMS', value: contents, shrink: true },
  { header: 'REFERENCE', value: (t) => t.reference, shrink: true },
]

export const transferTable = (transfers: Transfer[], width?: number) =>
  table(transfers, LIST_COLUMNS, width)

/** The header of each figure of a line (the columns: figuresShown). */
const HEADERS: Record<LineFigure, string> = {
  sent: 'SENT',
  received: 'RECEIVED',
  damaged: 'DAMAGED',
  short: 'SHORT',
  toWriteOff: 'TO WRITE OFF',
  toReturn: 'TO RETURN',
  returned: 'RETURNED',
  writtenOff: 'WRITTEN OFF',
  inTransit: 'IN TRANSIT',
}

export function linesTable(lines: TransferLine[], width?: number): string {
  const columns: Column<TransferLine>[] = [
    { header: 'SKU', value: (l) => l.sku },
    ...figuresShown(lines).map((f) => ({ header: HEADERS[f], value: (l: TransferLine) => l[f] })),
  ]
  return table(lines, columns, width)
}

/** Where a message stands: delivered when, refused and why, or still trying and why. */
function delivery(m: TransferMessage): string {
  if (m.direction === 'inbound') {
    return m.status === 'refused' ? 'REFUSED here: it changed nothing' : 'received and applied'
  }
  if (m.status === 'refused') {
    const why = (m.lastError ?? '').replace(/^refused by the peer: /, '')
    return `REFUSED by the peer ${when(m.deliveredAt ?? m.createdAt)}: ${why}`
  }
  if (m.deliveredAt) return `delivered ${when(m.deliveredAt)}`
  const tries = m.attempts ? `, ${plural(m.attempts, 'attempt')}` : ', not tried yet'
  const why = m.lastError ? `: ${m.lastError}` : ''
  return `PENDING${tries}${why}`
}

const MESSAGE_COLUMNS: Column<TransferMessage>[] = [
  { header: 'WHEN', value: (m) => when(m.createdAt) },
  { header: 'MESSAGE', value: (m) => m.kind.replace(/^transfer\./, '').replace(/_/g, ' ') },
  { header: 'WAY', value: (m) => (m.direction === 'outbound' ? 'sent' : 'came in') },
  { header: 'DELIVERY', value: delivery, shrink: true },
]

const RECEIPT_COLUMNS: Column<TransferDetail['receipts'][number]>[] = [
  { header: 'RECEIPT', value: (r) => r.receiptId },
  { header: 'WHEN', value: (r) => when(r.createdAt) },
  { header: 'FINAL', value: (r) => (r.final ? 'final' : '') },
]

/** One transfer's whole story, for `almacen transfers ID` and Transfers › One transfer. */
export function transferStory(t: TransferDetail, width?: number): string {
  const parts = [
    details([
      ['Transfer', t.id],
      [t.direction === 'out' ? 'To' : 'From', `${t.peerName} (${t.peer})`],
      ['State', stateOf(t)],
      ['Reference', t.reference],
      ['Note', t.note],
      ['Reason', t.reason],
      ['Created', when(t.createdAt)],
      ['Last change', when(t.updatedAt)],
      ['Closed', t.closedAt ? when(t.closedAt) : null],
      ['Out of step', t.outOfStep ? `since the restore, ${t.outOfStep}` : null],
    ]),
    '',
    linesTable(t.lines, width),
  ]
  if (t.messages.length) parts.push('', table(t.messages, MESSAGE_COLUMNS, width))
  if (t.receipts.length) parts.push('', table(t.receipts, RECEIPT_COLUMNS, width))
  return parts.join('\n')
}

/** What a send did, in one sentence. */
export function sentSentence(t: Transfer): string {
  const ref = t.reference ? ` (${t.reference})` : ''
  return `Sent ${contents(t)} to ${t.peerName}${ref}: transfer ${t.id}, ${stateOf(t)}. The goods left this warehouse's stock; ${t.peerName} receives them when they arrive.`
}

/** What a receipt did, in one sentence. */
export function receivedSentence(t: Transfer, got: { sku: string; received: number }[]): string {
  const what = got.filter((l) => l.received).map((l) => `${l.sku} ×${l.received}`)
  const into = what.length ? `${what.join(', ')} into stock` : 'nothing into stock'
  return `Received ${into} from ${t.peerName}: transfer ${t.id} is ${stateOf(t)}.`
}
