import type { BrokenReason, Replica } from '../../db/contract/index.ts'
import type { WorkerCalls } from '../membership/store.ts'
import type { FeedAnswer, LogPosition } from './messages.ts'

/** A page to apply: what the owner answered, after the cursor it was asked for. */
export interface PageToApply extends FeedAnswer {
  nodeId: string
  name: string
  after: LogPosition
}

/**
 * Where replicas are kept: the database worker in a node (db/replicas/), memory in a test. The
 * store checks every page itself (the chain, the cursor); the puller only fetches and hands over.
 */
export interface ReplicaStore {
  /** The replica of a peer as committed; undefined when there is none yet. */
  load(nodeId: string): Promise<Replica | undefined>
  /** The replica after the page, or 'conflict' when the page does not follow its cursor. */
  apply(page: PageToApply): Promise<Replica | 'conflict'>
  /** Breaks a replica from outside a page (the owner said the cursor forked). */
  break(nodeId: string, reason: BrokenReason, message: string): Promise<void>
  /**
   * A broken replica follows its owner again from `cursor` (the owner holds that row as it does);
   * 'conflict' when the replica stands elsewhere.
   */
  mend(nodeId: string, cursor: LogPosition): Promise<Replica | 'conflict'>
}

/**
 * How long a mend may take: it verifies the whole replica in one step (the README measures a
 * verify of 600,000 rows at 4.1 s; a replica of millions takes a multiple of that).
 */
const MEND_MS = 120_000

const codeOf = (err: unknown) => (err as { code?: unknown } | null)?.code

/** The replicas in the node's SQLite database, through its worker. */
export function workerReplicas(db: WorkerCalls): ReplicaStore {
  return {
    async load(nodeId) {
      try {
        return (await db.call('replicas.get', { nodeId })).data as Replica
      } catch (err) {
        if (codeOf(err) === 'NOT_FOUND') return undefined
        throw err
      }
    },
    async apply({ nodeId, name, after, events, head, upToDate }) {
      try {
        const payload = { nodeId, name, after, events, head, upToDate }
        const { data } = await db.call('replicas.apply', payload)
        return (data as { replica: Replica }).replica
      } catch (err) {
        if (codeOf(err) === 'CONFLICT') return 'conflict'
        throw err
      }
    },
    async break(nodeId, reason, message) {
      await db.call('replicas.break', { nodeId, reason, message })
    },
    async mend(nodeId, cursor) {
      try {
        // A mend verifies the whole replica first, in one step: longer than a query may take.
        const mending = await db.call('replicas.mend', { nodeId, cursor }, { timeoutMs: MEND_MS })
        return mending.data as Replica
      } catch (err) {
        if (codeOf(err) === 'CONFLICT') return 'conflict'
        throw err
      }
    },
  }
}
