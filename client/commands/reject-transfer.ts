import type { TransferDetail } from '../../api/index.ts'
import { KEY_OPTION, keyOf, type Command } from '../command.ts'
import { printJson } from '../io.ts'
import { idAndReason, transferPath } from '../transfers.ts'

/** What a reject did, in one sentence: refused the transfer, or undid receipts its sender refused. */
export function rejectedSentence(t: TransferDetail): string {
  // A reject that undoes refused receipts tells the sender nothing: it knows no such transfer.
  if (t.messages.some((m) => m.kind === 'transfer.rejected')) {
    return `Rejected transfer ${t.id} from ${t.peerName}: nothing of it enters this warehouse's stock, and ${t.peerName} books the goods back once they are there.`
  }
  return `Undid the receipts of transfer ${t.id}, which ${t.peerName} refused (it has no such transfer with this warehouse): what they put into stock is taken off again. Receive the goods against the right transfer.`
}

export const rejectTransfer: Command = {
  name: 'reject-transfer',
  summary: 'refuse a transfer, or undo receipts its sender refused',
  synopsis: 'ID --reason TEXT [--key KEY]',
  description:
    "Before anything of it is received: refuses the whole transfer, and its sender books the goods back. After receipts made before the sender's message arrived, which the sender refused (a wrong id or sender on the delivery note): undoes them, taking what they put into stock off again, so the goods can be received against the right transfer. Refused (exit 1) once goods were received against a transfer its sender knows.",
  options: {
    reason: { type: 'string', arg: 'TEXT', help: 'why, for both warehouses (≤ 1000 characters)' },
    key: KEY_OPTION,
  },
  examples: ["almacen reject-transfer 5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10 --reason 'not ordered'"],
  async run(io, args) {
    const { id, reason } = idAndReason(args)
    const key = keyOf(args)
    const result = await io.api.post<TransferDetail>(`${transferPath(id)}/reject`, { reason }, key)
    if (io.json) return printJson(io, result)
    io.print(rejectedSentence(result))
  },
}
