import type {
  InboxResult,
  OutboxMessage,
  TransferMessageEnvelope,
} from '../../db/contract/transfers.ts'
import type { Payload } from '../../db/contract/index.ts'
import type { WorkerCalls } from '../membership/store.ts'

/**
 * What one attempt came to: the messages the peer answered for (a refusal with its reason), and
 * those to try again.
 */
export type Settlement = Payload<'outbox.settle'>

/**
 * Where the outbox and the inbox are kept: the database worker in a node (db/transfers/), memory
 * in a test. The relay only reads what is pending and records what became of each attempt; the
 * inbox applies each message once, whatever the relay does.
 */
export interface TransferStore {
  /** The undelivered messages for `to`, oldest first, at most `limit`. */
  pending(to: string, limit: number): Promise<OutboxMessage[]>
  /** The peers the outbox holds undelivered messages for: their ids only, never the messages. */
  waiting(): Promise<string[]>
  settle(settlement: Settlement): Promise<void>
  /** A peer's messages, each applied once; a duplicate gets its first answer. */
  inbox(
    from: string,
    fromName: string,
    messages: TransferMessageEnvelope[]
  ): Promise<{ results: InboxResult[] }>
}

/** The outbox and inbox in the node's SQLite database, through its worker. */
export function workerTransfers(db: WorkerCalls): TransferStore {
  return {
    async pending(to, limit) {
      const { data } = await db.call('outbox.pending', { to, limit })
      return (data as { messages: OutboxMessage[] }).messages
    },
    async waiting() {
      const { data } = await db.call('outbox.waiting', {})
      return (data as { peers: string[] }).peers
    },
    async settle(settlement) {
      await db.call('outbox.settle', settlement)
    },
    async inbox(from, fromName, messages) {
      const { data } = await db.call('transfers.inboxV2', { from, fromName, messages })
      return data as { results: InboxResult[] }
    },
  }
}
