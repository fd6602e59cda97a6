// Replication: GET /replicas (each peer's replica, its state and lag), GET /replicas/:nodeId,
// GET /replicas/:nodeId/movements (a peer's ledger as this node holds it), POST
// /replicas/:nodeId/verify (its chain and balances checked here).
import { z } from 'zod'
import { peerName, peerNodeId } from './members.ts'

/**
 * `never_synced`: nothing received yet; `catching_up`: the owner has more (rowsBehind); `live`:
 * it held everything at the last contact; `stale`: the owner cannot be reached now (down, left,
 * cut off: see lastError), the figures are as of `asOf`; `broken`: a page did not check out
 * (`reason`: chain_broken, forked, gap) and nothing more is taken from the owner.
 */
export const REPLICA_STATES = ['never_synced', 'catching_up', 'live', 'stale', 'broken'] as const
export type ReplicaViewState = (typeof REPLICA_STATES)[number]

/** One peer's replica as GET /replicas shows it. */
export interface ReplicaView {
  nodeId: string
  name: string
  state: ReplicaViewState
  reason: 'chain_broken' | 'forked' | 'gap' | null
  /** The last event and ledger row held. */
  cursor: { events: number; ledger: { seq: number; hash: string } }
  /** The owner's head as last known (its gossip or its feed); the hash only from gossip. */
  knownHead: { events: number; ledger: { seq: number; hash: string | null } }
  /** Ledger rows the owner has that this replica does not yet. */
  rowsBehind: number
  /** When this node last saw the owner's feed say it held everything (its own clock). */
  asOf: string | null
  lastContactAt: string | null
  lastError: string | null
}

export interface ReplicaList {
  replicas: ReplicaView[]
}

/**
 * A node in a path (/replicas/:nodeId…): its id, or a warehouse's name as --name takes it
 * (spaces, any script); no control characters.
 */
export const nodeIdOrName = z.union([peerNodeId, peerName], {
  error: 'must be a node id or a warehouse name',
})

/** POST /replicas/:nodeId/reseed: what was dropped, and the replica as it stood before. */
export interface ReplicaReseed {
  nodeId: string
  dropped: { events: number; movements: number }
  was: Pick<ReplicaView, 'state' | 'reason' | 'cursor'>
}
