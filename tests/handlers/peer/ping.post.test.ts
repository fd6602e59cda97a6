import t from 'tap'
import handler from '../../../handlers/peer/ping.post.ts'
import { checkPeerRoute, member } from '../../fixtures/peer-route.ts'

checkPeerRoute(t, 'ping', handler, {
  from: member,
  target: { id: 'node-b', state: 'suspect', incarnation: 4 },
  updates: [],
})
