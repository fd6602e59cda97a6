import { peerRoute, gossipMessage } from '../_shared/peer.ts'

/** Membership news from another node. */
export default peerRoute(gossipMessage, (membership, sender, message) =>
  membership.onGossip(sender, message)
)
