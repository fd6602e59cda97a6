/**
 * The contract between the runtime (handlers) and the DB worker: every operation the worker
 * executes, declared in the file of its resource with whether it reads or writes, the payload it
 * admits (a zod schema) and its result type; and the envelopes that carry them (envelope.ts).
 *
 * The list only grows. A breaking change to an operation gets a new name or a new
 * `PROTOCOL_VERSION`, never an edit in place: tests/db/contract.test.ts holds every operation's
 * name, kind and payload shape, and fails when one changes.
 */
export * from './descriptor.ts'
export * from './envelope.ts'
export * from './operations.ts'
export { ROLES, type ApiToken, type Role, type TokenHolder, type User } from './access.ts'
export { BACKUP_NAME, type Backup, type BackupJob } from './backups.ts'
export type * from './events.ts'
export type * from './items.ts'
export type * from './ledger.ts'
export { MEMBER_STATES, type Member, type MemberState } from './members.ts'
export type * from './movements.ts'
export type * from './node.ts'
export {
  BROKEN_REASONS,
  REPLICA_STATES,
  type BrokenReason,
  type FeedPage,
  type FeedPageText,
  type FeedPosition,
  type Hashes,
  type Replica,
  type ReplicaState,
  type ReplicaStock,
  type ReplicaStockLine,
} from './replicas.ts'
export { GRANT_KINDS, type Grant } from './grants.ts'
export type * from './queues.ts'
export type * from './topics.ts'
export type * from './stock.ts'
