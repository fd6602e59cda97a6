import t from 'tap'
import handler from '../../../handlers/peer/ping-req.post.ts'
import { checkPeerRoute, member } from '../../fixtures/peer-route.ts'

checkPeerRoute(t, 'ping-req', handler, {
  from: member,
  target: { id: 'node-b', state: 'suspect', incarnation: 4, address: 'http://10.0.0.3:8080' },
  updates: [member],
})
