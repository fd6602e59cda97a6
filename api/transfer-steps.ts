// The step a person may take on a transfer at this warehouse, decided once for both clients (the
// web page offers it as a form, the text client's Transfers menu asks for it). Types only from
// the rest of api/: the web bundle takes this without zod.
import type { Transfer, TransferDetail, TransferMessage } from './transfers.ts'

/**
 * reject: B refuses a transfer before any receipt; undo: B undoes receipts made before the
 * dispatch that the sender refused; cancel: A asks B to cancel while in transit; return: A books
 * back what is coming back.
 */
export type TransferStep = 'reject' | 'undo' | 'cancel' | 'return'

/** What is still to be booked back of each line, at the sender. */
export const dueBack = (t: Transfer) =>
  t.lines
    .filter((l) => l.toReturn > l.returned)
    .map((l) => ({ sku: l.sku, due: l.toReturn - l.returned }))

/**
 * The step a transfer as listed (without its messages and receipts) may wait on here: stepOn, on
 * its detail, says whether it does (an unannounced one waits on an undo only once its sender has
 * refused every receipt).
 */
export function listedStep(t: Transfer): TransferStep | null {
  if (t.direction === 'out') {
    if (dueBack(t).length > 0) return 'return'
    return t.state === 'in_transit' ? 'cancel' : null
  }
  // Announced: nothing received yet (a receipt makes it partially_received or received).
  if (t.state === 'announced') return 'reject'
  return t.state === 'unannounced' ? 'undo' : null
}

/** The step a person may take on this transfer here, if any. */
export function stepOn(t: TransferDetail): TransferStep | null {
  const step = listedStep(t)
  if (step === 'reject') return t.receipts.length === 0 ? step : null
  if (step !== 'undo') return step
  // Undone only when the sender said it has no such transfer with this warehouse (NOT_FOUND).
  const receipts = t.messages.filter((m) => m.kind === 'transfer.received')
  const denied = (m: TransferMessage) => m.code === 'NOT_FOUND'
  return receipts.length > 0 && receipts.every(denied) ? step : null
}
