import type { TransferDetail } from '../../api/index.ts'
import { KEY_OPTION, keyOf, type Command } from '../command.ts'
import { printJson } from '../io.ts'
import { idAndReason, transferPath } from '../transfers.ts'

export const cancelTransfer: Command = {
  name: 'cancel-transfer',
  summary: 'ask the receiving warehouse to cancel a transfer',
  synopsis: 'ID --reason TEXT [--key KEY]',
  description:
    'Asks the warehouse a transfer was sent to to cancel it. Only its agreement, given when nothing of the transfer has been received there, lets the goods be booked back here (almacen return-transfer ID once they are back); once it has received, it refuses, and the transfer goes on. Refused (exit 1) at once when a receipt is already known here.',
  options: {
    reason: { type: 'string', arg: 'TEXT', help: 'why, for both warehouses (≤ 1000 characters)' },
    key: KEY_OPTION,
  },
  examples: [
    "almacen cancel-transfer 5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10 --reason 'wrong warehouse'",
  ],
  async run(io, args) {
    const { id, reason } = idAndReason(args)
    const key = keyOf(args)
    const result = await io.api.post<TransferDetail>(`${transferPath(id)}/cancel`, { reason }, key)
    if (io.json) return printJson(io, result)
    io.print(askedToCancelSentence(result))
  },
}

/**
 * What a cancel did, in one sentence: asked, and what comes next, in the words of where it was
 * asked (the menu's entry, or the one-shot command).
 */
export function askedToCancelSentence(t: TransferDetail, from: 'menu' | 'command' = 'command') {
  const next =
    from === 'menu'
      ? 'Transfers › Reject, cancel or book back a transfer'
      : `almacen return-transfer ${t.id}`
  return `Asked ${t.peerName} to cancel transfer ${t.id}: the cancel waits on ${t.peerName}'s answer. Once ${t.peerName} agrees, book the goods back as they come back: ${next}`
}
