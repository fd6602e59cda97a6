import { EXAMPLE_MEMBERS, peerRoute } from '../_shared/peer.ts'

const [madrid, sevilla] = EXAMPLE_MEMBERS

/** An indirect probe: another node could not reach the target and asks this one to try. */
export default peerRoute('ping-req', 'An indirect probe of another member', {
  from: madrid,
  target: { id: sevilla.id, state: 'suspect', incarnation: 1, address: sevilla.address },
  updates: [],
})
