// A replica as the REST surface shows it: what the database holds (cursor, state, as-of) with
// what its puller knows now (is the owner reachable, how far its head is).
import type { ReplicaView } from '../../api/index.ts'
import type { Replica } from '../../db/contract/index.ts'
import type { Ctx } from '../../runtime/index.ts'

type Peer = ReturnType<Ctx['replication']['peers']>[number]

const SUSPECT = 'membership suspects it: its last probes went unanswered'
const UNFOLLOWED = 'not followed since this node started: membership has not seen it alive since'

export function replicaView(replica: Replica | undefined, peer: Peer | undefined): ReplicaView {
  const nodeId = (replica?.nodeId ?? peer?.nodeId) as string
  const cursor = replica?.cursor ?? { events: 0, ledger: { seq: 0, hash: '0'.repeat(64) } }
  const gossip = peer?.knownHead
  const stored = replica?.head ?? { events: 0, ledger: { seq: 0 } }
  const knownHead =
    gossip && gossip.events >= stored.events
      ? gossip
      : { events: stored.events, ledger: { seq: stored.ledger.seq, hash: null } }
  const rowsBehind = Math.max(0, knownHead.ledger.seq - cursor.ledger.seq)
  const stored_ = replica?.state ?? 'never_synced'
  let state: ReplicaView['state'] = stored_
  // Not followed since this node started (membership has not seen the owner alive since): the
  // replica is as old as its as-of, whatever state its last page left in the database.
  const unfollowed = !peer && stored_ !== 'never_synced' && stored_ !== 'broken'
  // Suspected by membership (its probes unanswered): frozen or cut off, perhaps, while the
  // puller's long-poll still waits on it without knowing.
  const suspect = peer?.memberState === 'suspect' && stored_ !== 'never_synced'
  if (peer?.stopped || stored_ === 'broken') state = 'broken'
  else if (
    unfollowed ||
    suspect ||
    (peer && (!peer.following || peer.failing) && stored_ !== 'never_synced')
  )
    state = 'stale'
  else if (state === 'live' && knownHead.events > cursor.events) state = 'catching_up'
  return {
    nodeId,
    name: replica?.name || peer?.name || '',
    state,
    reason: replica?.reason ?? null,
    cursor,
    knownHead,
    rowsBehind,
    asOf: replica?.caughtUpAt ?? null,
    lastContactAt: peer?.lastContactAt ?? null,
    lastError:
      peer?.lastError ??
      (suspect ? SUSPECT : null) ??
      replica?.lastError ??
      (unfollowed ? UNFOLLOWED : null),
  }
}

/** Every replica this node holds or follows. */
export async function replicaViews(ctx: Ctx): Promise<ReplicaView[]> {
  const { replicas } = await ctx.db.send('replicas.list', {})
  const peers = new Map(ctx.replication.peers().map((p) => [p.nodeId, p]))
  const views = replicas.map((r) => replicaView(r, peers.get(r.nodeId)))
  for (const [id, peer] of peers) {
    if (!replicas.some((r) => r.nodeId === id)) views.push(replicaView(undefined, peer))
  }
  return views
}
