import type { Member, OpName, Payload } from '../../db/contract/index.ts'

/**
 * Where the peer list is kept: the database worker in a node (db/operations/members.ts), memory
 * in a test. The protocol decides every row; the store only makes it durable.
 */
export interface MemberStore {
  /** The peer list, and whether this node rejoins it by itself at start. */
  list(): Promise<{ members: Member[]; rejoin: boolean }>
  /** Writes whole rows (upserted by id), and the rejoin flag when given, in one transaction. */
  apply(change: { members: Member[]; rejoin?: boolean }): Promise<void>
  /** Deletes members reaped. */
  reap(ids: string[]): Promise<void>
}

/** The database worker as the store needs it (runtime/db-client.ts's DbClient is one). */
export interface WorkerCalls {
  call<O extends OpName>(
    op: O,
    payload: Payload<O>,
    options?: { timeoutMs?: number }
  ): Promise<{ data: unknown }>
}

/** The peer list in the node's SQLite database, through its worker. */
export function workerStore(db: WorkerCalls): MemberStore {
  return {
    async list() {
      const { data } = await db.call('members.list', {})
      return data as { members: Member[]; rejoin: boolean }
    },
    async apply(change) {
      await db.call('members.apply', change)
    },
    async reap(ids) {
      await db.call('members.reap', { ids })
    },
  }
}
