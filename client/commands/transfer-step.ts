// Transfers › Reject, cancel or book back: the one step a transfer waits on at this warehouse
// (api/transfer-steps.ts decides which, as for the web page), asked for and confirmed.
import type { ReturnInput, TransferDetail } from '../../api/index.ts'
import { dueBack, listedStep, stepOn, type TransferStep } from '../../api/transfer-steps.ts'
import { askParsed, choose, confirm } from '../ask.ts'
import { when } from '../format.ts'
import * as input from '../input.ts'
import type { Io } from '../io.ts'
import { linesTable, stateOf } from '../transfer-view.ts'
import { transferPath, transfersWaitingOnStep } from '../transfers.ts'
import { askedToCancelSentence } from './cancel-transfer.ts'
import { rejectedSentence } from './reject-transfer.ts'
import { bookedBackSentence, writtenOffSentence } from './return-transfer.ts'
import { getTransfer, transferChoice, TYPE_ID } from './transfers.ts'

const post = (io: Io, t: TransferDetail, step: string, body: unknown) =>
  io.api.post<TransferDetail>(`${transferPath(t.id)}/${step}`, body)

/** Why, for both warehouses: the node refuses an empty reason, so it is asked for again here. */
const askReason = (io: Io) =>
  askParsed(io, 'Why? (both warehouses see it)', input.text(1000, true), 'The reason')

/** What each listed transfer waits on, at the end of its line. */
const STEP_WORDS: Record<TransferStep, string> = {
  reject: 'reject?',
  undo: 'undo refused receipts?',
  cancel: 'ask to cancel?',
  return: 'book back',
}

/** Transfers › Reject, cancel or book back. */
export async function transferStepInteractively(io: Io) {
  const waiting = await transfersWaitingOnStep(io.api)
  if (!waiting.length) io.print('  No transfer waits on a step here.')
  const chosen = await choose(io, 'Which transfer?', [
    ...waiting.map((t) => {
      const { title, value } = transferChoice(t)
      return { title: `${title} → ${STEP_WORDS[listedStep(t) as TransferStep]}`, value }
    }),
    { title: 'Another: type its id', value: TYPE_ID },
  ])
  const id =
    chosen === TYPE_ID ? await askParsed(io, 'Transfer id', input.transferId, 'The id') : chosen
  const t = await getTransfer(io.api, id)
  const step = stepOn(t)
  if (step === null) {
    // Received before the dispatch: it waits on the sender's answer to its receipts.
    const waits =
      t.state === 'unannounced' &&
      t.messages.some((m) => m.kind === 'transfer.received' && m.status === 'pending')
        ? ` Its receipts wait on ${t.peerName}'s answer: they can be undone only if ${t.peerName} refuses them.`
        : ''
    return io.print(
      `  Nothing to reject, cancel or book back on it here: it is ${stateOf(t)}.${waits}`
    )
  }
  io.print(linesTable(t.lines, io.columns))
  if (step === 'return') return bookBack(io, t)
  if (step === 'undo') {
    const made = t.receipts.map((r) => when(r.createdAt)).join(', ')
    io.print(
      `  ${t.peerName} refused the receipts of this transfer made here (${made}): it says it has no such transfer with this warehouse.`
    )
  }
  const reason = await askReason(io)
  const question = {
    reject: `Reject it? Nothing of it enters this warehouse's stock, and ${t.peerName} books the goods back.`,
    undo: 'Undo those receipts? What they put into stock is taken off again.',
    cancel: `Ask ${t.peerName} to cancel it? The goods can be booked back here only once ${t.peerName} agrees.`,
  }[step]
  // Not undone by another step: No unless the person says Yes.
  if (!(await confirm(io, question, false))) return io.print('Nothing done.')
  if (step === 'cancel') {
    const asked = await post(io, t, 'cancel', { reason })
    return io.print(`✔ ${askedToCancelSentence(asked, 'menu')}`)
  }
  io.print(`✔ ${rejectedSentence(await post(io, t, 'reject', { reason }))}`)
}

/** How many of each line came back, booked back into stock; then what of the rest will not. */
async function bookBack(io: Io, t: TransferDetail) {
  const lines: NonNullable<ReturnInput['lines']> = []
  for (const { sku, due } of dueBack(t)) {
    const quantity = await askParsed(
      io,
      `${sku}: how many came back? (${due} due back)`,
      input.countUpTo(due, `the ${due} due back`),
      'The quantity',
      String(due)
    )
    if (quantity > 0) lines.push({ sku, quantity })
  }
  let now = t
  if (!lines.length) io.print('Nothing came back: nothing booked.')
  else {
    const what = lines.map((l) => `${l.sku} ×${l.quantity}`).join(', ')
    if (!(await confirm(io, `Book ${what} back into this warehouse's stock?`))) {
      return io.print('Nothing booked.')
    }
    now = await post(io, t, 'return', { lines })
    io.print(`✔ ${bookedBackSentence(now)}`)
  }
  await writeOffLeft(io, now)
}

/**
 * What is still due back after a receipt sent it back: coming still, or written off (missing, lost
 * on the way) so that it leaves the stock in transit. A rejected or cancelled transfer's goods
 * come back whole: nothing is asked.
 */
async function writeOffLeft(io: Io, t: TransferDetail) {
  const left = dueBack(t)
  // No receipt here: rejected or cancelled before one, its goods come back whole.
  if (!left.length || t.receipts.length === 0) return
  const what = left.map((l) => `${l.sku} ×${l.due}`).join(', ')
  const coming = await choose(io, `Still due back: ${what}. Will it come back?`, [
    { title: 'Yes, it is still coming: leave it due back', value: true },
    { title: 'No, it will not (missing, lost): write it off', value: false },
  ])
  if (coming) return io.print(`Still due back: ${what}.`)
  // Not undone by another step: No unless the person says Yes.
  if (!(await confirm(io, `Write off ${what}? It leaves the stock in transit for good.`, false))) {
    return io.print('Nothing written off.')
  }
  // What was shown and confirmed, not whatever is due when the request lands.
  const lines = left.map(({ sku, due }) => ({ sku, quantity: due }))
  io.print(`✔ ${writtenOffSentence(await post(io, t, 'write-off', { lines }))}`)
}
