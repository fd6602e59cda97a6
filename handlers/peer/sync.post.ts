import { peerRoute } from '../_shared/peer.ts'

/** Full-state exchange: merges the sender's list and answers with this node's. */
export default peerRoute('sync')
