import { z } from 'zod'
import { read } from './descriptor.ts'

/**
 * What the log records: a movement recorded, an item created or changed, a member's row changed
 * (later transfer steps and published messages). The list only grows.
 */
export type EventType =
  | 'movement.recorded'
  | 'item.created'
  | 'item.updated'
  | 'member.changed'
  /**
   * A transfer's record changed (subject: its id; data: the Transfer as GET /transfers/:id, and
   * the rest of the record a restore rebuilds it from: db/transfers/store.ts `logged`).
   */
  | 'transfer.changed'

/**
 * One entry of the node's append-only event log, written in the same transaction as the change it
 * records. `seq` counts from 1 without gaps; `data` is the whole row (the movement, the item, the
 * member), so a reader needs nothing else; `subject` is its key (the SKU, the member's id).
 */
export interface LogEvent<T = unknown> {
  seq: number
  type: EventType
  subject: string
  data: T
  createdAt: string
}

export const eventOps = {
  /**
   * The events after seq `after`, oldest first, at most `limit`; only the `types` given, if any
   * (a type this node does not know matches nothing). `head` is the last seq of the whole log.
   */
  'events.list': read(
    z.strictObject({
      after: z.number().int().min(0),
      limit: z.number().int().min(1),
      types: z.array(z.string()).optional(),
    })
  ).returns<{ events: LogEvent[]; head: number }>(),
}
