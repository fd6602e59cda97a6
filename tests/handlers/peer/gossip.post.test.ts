import t from 'tap'
import handler from '../../../handlers/peer/gossip.post.ts'
import { checkPeerRoute, member } from '../../fixtures/peer-route.ts'

checkPeerRoute(t, 'gossip', handler, {
  from: member,
  updates: [{ ...member, state: 'failed', evidenceAgeMs: 40 }],
})
