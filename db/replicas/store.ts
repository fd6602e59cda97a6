// The `replicas` table: one row per peer whose ledger this node replicates, holding the cursor
// (the last event and ledger row received) and the replica's state.
import type { Replica } from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import { GENESIS_HASH } from '../ledger/hash.ts'
import type { Sql } from '../sql.ts'

export interface ReplicaRow {
  nodeId: string
  name: string
  eventsSeq: number
  ledgerSeq: number
  ledgerHash: string
  state: Replica['state']
  reason: Replica['reason']
  lastError: string | null
  headEventsSeq: number
  headLedgerSeq: number
  caughtUpAt: string | null
  createdAt: string
  updatedAt: string
}

/** A replica's row as ReplicaRow names its columns: for a SELECT, or an UPDATE's RETURNING. */
export const REPLICA_COLUMNS = `node_id AS nodeId, name, events_seq AS eventsSeq,
  ledger_seq AS ledgerSeq, ledger_hash AS ledgerHash, state, reason, last_error AS lastError,
  head_events_seq AS headEventsSeq, head_ledger_seq AS headLedgerSeq,
  caught_up_at AS caughtUpAt, created_at AS createdAt, updated_at AS updatedAt`

const SELECT = `SELECT ${REPLICA_COLUMNS} FROM replicas`

export function toReplica(row: ReplicaRow): Replica {
  return {
    nodeId: row.nodeId,
    name: row.name,
    state: row.state,
    reason: row.reason,
    lastError: row.lastError,
    cursor: { events: row.eventsSeq, ledger: { seq: row.ledgerSeq, hash: row.ledgerHash } },
    head: { events: row.headEventsSeq, ledger: { seq: row.headLedgerSeq } },
    caughtUpAt: row.caughtUpAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

export async function findReplica(sql: Sql, nodeId: string): Promise<Replica | undefined> {
  const [row] = await sql.all<ReplicaRow>(`${SELECT} WHERE node_id = ?`, [nodeId])
  return row && toReplica(row)
}

export async function allReplicas(sql: Sql): Promise<Replica[]> {
  return (await sql.all<ReplicaRow>(`${SELECT} ORDER BY name, node_id`)).map(toReplica)
}

export function replicaNotFound(nodeId: string): DomainError {
  return new DomainError('NOT_FOUND', `This node holds no replica of node ${nodeId}`, [
    { path: 'nodeId', message: `no replica of ${nodeId}` },
  ])
}

export async function getReplica(sql: Sql, nodeId: string): Promise<Replica> {
  const found = await findReplica(sql, nodeId)
  if (!found) throw replicaNotFound(nodeId)
  return found
}

/** The replica of `nodeId`, made (never synced, at the start of its log) if there is none yet. */
export async function ensureReplica(sql: Sql, nodeId: string, name = ''): Promise<Replica> {
  // Read first: the replica is there for every page but a peer's first.
  const found = await findReplica(sql, nodeId)
  if (found) return found
  const now = new Date().toISOString()
  await sql.run(
    `INSERT INTO replicas (node_id, name, ledger_hash, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?) ON CONFLICT (node_id) DO NOTHING`,
    [nodeId, name, GENESIS_HASH, now, now]
  )
  return getReplica(sql, nodeId)
}

/**
 * Marks a replica broken: nothing more is applied to it until it is mended (its owner holds its
 * cursor row again: replicas.mend). The first
 * break's reason stands.
 */
export async function breakReplica(
  sql: Sql,
  nodeId: string,
  reason: NonNullable<Replica['reason']>,
  message: string
): Promise<Replica> {
  await sql.run(
    `UPDATE replicas SET state = 'broken', reason = ?, last_error = ?, updated_at = ?
     WHERE node_id = ? AND state <> 'broken'`,
    [reason, message, new Date().toISOString(), nodeId]
  )
  return getReplica(sql, nodeId)
}
