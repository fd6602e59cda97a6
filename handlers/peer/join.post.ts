import { EXAMPLE_MEMBERS, peerRoute } from '../_shared/peer.ts'

const [madrid, sevilla] = EXAMPLE_MEMBERS

/** Another node joins through this one: it is admitted and gets the member list. */
export default peerRoute('join', 'Another node joins through this one', {
  member: madrid,
  relay: false,
})
