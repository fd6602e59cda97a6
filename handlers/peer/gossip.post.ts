import { EXAMPLE_MEMBERS, peerRoute } from '../_shared/peer.ts'

const [madrid, sevilla] = EXAMPLE_MEMBERS

/** Membership news from another node. */
export default peerRoute('gossip', 'Membership news from another node', {
  from: madrid,
  updates: [sevilla],
})
