import { peerRoute } from '../_shared/peer.ts'

/** An indirect probe: another node could not reach the target and asks this one to try. */
export default peerRoute('ping-req')
