import { peerRoute } from '../_shared/peer.ts'

/** A probe: answers with this node's own record, refuting a wrong suspicion first. */
export default peerRoute('ping')
