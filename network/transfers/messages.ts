import { z } from 'zod'
import { peerNameOrNone } from '../../api/members.ts'
import {
  MAX_MESSAGE_BYTES,
  transferMessage,
  type InboxResult,
  type TransferMessageEnvelope,
} from '../../db/contract/transfers.ts'
import type { ExchangeKind } from '../transport/transport.ts'

// POST /peer/transfer-messages: a batch of one node's outbox for its peer's inbox. As with every
// exchange, the receiver validates the message and the sender the answer with these schemas, and
// the sender believes an answer only when it speaks of exactly the messages it sent.

/** The most messages one exchange carries. */
export const MAX_BATCH = 100
/**
 * The most bytes of messages one exchange carries: a node reads 64 KiB of a request body
 * (runtime/input.ts), and the envelope around the messages takes a little.
 */
export const MAX_BATCH_BYTES = MAX_MESSAGE_BYTES

export const transferMessagesMessage = z.object({
  /** The sender's name, for the receiver's record of a transfer it has not heard of yet. */
  fromName: peerNameOrNone,
  messages: z.array(transferMessage).min(1).max(MAX_BATCH),
})
export type TransferMessagesMessage = z.output<typeof transferMessagesMessage>

const inboxResult = z.object({
  id: z.string().min(1).max(100),
  status: z.enum(['applied', 'duplicate', 'refused']),
  code: z.string().max(64).optional(),
  message: z.string().max(1000).optional(),
})

export const transferMessagesAnswer = z.object({
  results: z.array(inboxResult).max(MAX_BATCH),
})
export type TransferMessagesAnswer = z.output<typeof transferMessagesAnswer>

export const TRANSFER_MESSAGES = {
  path: '/peer/transfer-messages',
  message: transferMessagesMessage,
  answer: transferMessagesAnswer,
} as const satisfies ExchangeKind

/**
 * POST /peer/transfer-sent: whether the node asked sent transfer `id` to the asker, by its own
 * records. A receipt of an id its receiver does not know asks the sender named on the delivery
 * note; a sender that says no was not sent those goods, and a made-up id is refused.
 */
export const TRANSFER_SENT = {
  path: '/peer/transfer-sent',
  message: z.object({ id: z.string().min(1).max(100) }),
  answer: z.object({ sent: z.boolean() }),
} as const satisfies ExchangeKind
export type TransferSentAnswer = z.output<typeof TRANSFER_SENT.answer>

/**
 * The answer's result for each message sent, in the order sent; or why the answer cannot be
 * believed (a message without its result, a result for a message not sent, one given twice). A
 * delivery is recorded only on the peer's word about that very message.
 */
export function resultsFor(
  sent: Pick<TransferMessageEnvelope, 'id'>[],
  answer: TransferMessagesAnswer
): InboxResult[] | { problem: string } {
  const byId = new Map<string, InboxResult>()
  for (const result of answer.results) {
    if (byId.has(result.id)) return { problem: `the answer gives message ${result.id} twice` }
    byId.set(result.id, result)
  }
  const ordered: InboxResult[] = []
  for (const { id } of sent) {
    const result = byId.get(id)
    if (!result) return { problem: `the answer says nothing of message ${id}` }
    ordered.push(result)
    byId.delete(id)
  }
  const [stray] = byId.keys()
  if (stray !== undefined) return { problem: `the answer speaks of message ${stray}, not sent` }
  return ordered
}
