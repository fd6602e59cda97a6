import t from 'tap'
import handler from '../../../handlers/peer/sync.post.ts'
import { checkPeerRoute, member } from '../../fixtures/peer-route.ts'

checkPeerRoute(t, 'sync', handler, { from: member, members: [member] })
