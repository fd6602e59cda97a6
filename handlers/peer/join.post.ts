import { peerRoute } from '../_shared/peer.ts'

/** Another node joins through this one: it is admitted and gets the member list. */
export default peerRoute('join')
