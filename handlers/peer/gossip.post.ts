import { peerRoute } from '../_shared/peer.ts'

/** Membership news from another node. */
export default peerRoute('gossip')
