import { EXAMPLE_MEMBERS, peerRoute } from '../_shared/peer.ts'

const [madrid, sevilla] = EXAMPLE_MEMBERS

/** A probe: answers with this node's own record, refuting a wrong suspicion first. */
export default peerRoute('ping', "A probe: answers with this node's own record", {
  from: madrid,
  target: { id: sevilla.id, state: 'suspect', incarnation: 1 },
  updates: [],
})
