import t from 'tap'
import handler from '../../../handlers/peer/join.post.ts'
import { checkPeerRoute, member } from '../../fixtures/peer-route.ts'

checkPeerRoute(t, 'join', handler, { member, relay: true })
