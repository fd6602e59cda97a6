import { EXAMPLE_MEMBERS, peerRoute } from '../_shared/peer.ts'

const [madrid, sevilla] = EXAMPLE_MEMBERS

/** Full-state exchange: merges the sender's list and answers with this node's. */
export default peerRoute('sync', 'Full-state exchange of the member lists', {
  from: madrid,
  members: [madrid, sevilla],
})
