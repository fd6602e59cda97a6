import { peerRoute, pingMessage } from '../_shared/peer.ts'

/** A probe: answers with this node's own record, refuting a wrong suspicion first. */
export default peerRoute(pingMessage, (membership, sender, message) =>
  membership.onPing(sender, message)
)
