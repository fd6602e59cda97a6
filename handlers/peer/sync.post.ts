import { peerRoute, syncMessage } from '../_shared/peer.ts'

/** Full-state exchange: merges the sender's list and answers with this node's. */
export default peerRoute(syncMessage, (membership, sender, message) =>
  membership.onSync(sender, message)
)
