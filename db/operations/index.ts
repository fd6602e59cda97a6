import type { OpName } from '../contract/index.ts'
import { listEvents } from '../events/log.ts'
import * as access from './access.ts'
import * as backups from '../backups/ops.ts'
import * as catalogue from './catalogue.ts'
import * as grants from './grants.ts'
import {
  pendingRestoreOf,
  restoreAsked,
  restoreBegin,
  restoreFinish,
  restorePage,
  restoreReport,
} from '../ledger/restore.ts'
import { acceptedWitnesses, witnessDiffers, witnessed, witnessHalt } from '../ledger/start-check.ts'
import { importItems } from './import.ts'
import * as items from './items.ts'
import * as ledger from './ledger.ts'
import * as members from './members.ts'
import { metricsOp, outboxDepth } from '../metrics.ts'
import * as movements from './movements.ts'
import * as node from './node.ts'
import * as queues from './queues.ts'
import * as topics from './topics.ts'
import { apply, breakOne, mendOne, reseedOne } from '../replicas/apply.ts'
import {
  ownFeed,
  ownFeedText,
  ownHashes,
  replicaFeed,
  replicaFeedText,
  replicaHashes,
} from '../replicas/feed.ts'
import * as replicas from '../replicas/read.ts'
import { afterCommitOperation, type Operation } from './run.ts'
import * as stock from './stock.ts'
import * as transfers from '../transfers/ops.ts'

export type { Operation } from './run.ts'
export type OperationTable = { [O in OpName]: Operation<O> }

export const operations: OperationTable = {
  'node.info': node.info,
  'node.ping': node.ping,
  'node.metrics': metricsOp,
  'items.create': items.create,
  'items.get': items.get,
  'items.update': items.update,
  'items.list': items.list,
  'stock.get': stock.get,
  'stock.list': stock.list,
  'stock.figures': stock.figures,
  'movements.record': movements.record,
  'movements.list': movements.list,
  'ledger.verify': ledger.verify,
  'ledger.rebuild': ledger.rebuild,
  'ledger.verifyStart': afterCommitOperation(ledger.verifyStart),
  'ledger.verifyStep': afterCommitOperation(ledger.verifyStep),
  'ledger.verifyFinish': afterCommitOperation(ledger.verifyFinish),
  'ledger.verifyCancel': afterCommitOperation(ledger.verifyCancel),
  'ledger.accept': ledger.accept,
  'ledger.status': ledger.status,
  'ledger.restoreBegin': restoreBegin,
  'ledger.restorePage': restorePage,
  'ledger.restoreFinish': restoreFinish,
  'ledger.restoreReport': restoreReport,
  'ledger.witnessed': witnessed,
  'ledger.witnessHalt': witnessHalt,
  'ledger.witnessDiffers': witnessDiffers,
  'ledger.acceptedWitnesses': acceptedWitnesses,
  'ledger.pendingRestore': pendingRestoreOf,
  'ledger.restoreAsked': restoreAsked,
  'members.list': members.list,
  'members.apply': members.apply,
  'members.reap': members.reap,
  'events.list': listEvents,
  'replicas.apply': apply,
  'replicas.break': breakOne,
  'replicas.mend': mendOne,
  'replicas.reseed': reseedOne,
  'replicas.list': replicas.list,
  'replicas.get': replicas.get,
  'replicas.movements': replicas.movements,
  'replicas.verify': replicas.verify,
  'replicas.feed': replicaFeed,
  'replicas.head': replicas.head,
  'replicas.hashes': replicaHashes,
  'replicas.stock': replicas.stock,
  'events.feed': ownFeed,
  'events.feedText': ownFeedText,
  'replicas.feedText': replicaFeedText,
  'ledger.hashes': ownHashes,
  'items.network': catalogue.network,
  'items.adopt': catalogue.adopt,
  'transfers.create': transfers.create,
  'transfers.receive': transfers.receive,
  'transfers.reject': transfers.reject,
  'transfers.cancel': transfers.cancel,
  'transfers.return': transfers.bookReturn,
  'transfers.writeOff': transfers.writeOff,
  'transfers.list': transfers.list,
  'transfers.get': transfers.get,
  'transfers.known': transfers.known,
  'transfers.inbox': transfers.inbox,
  'transfers.inboxV2': transfers.inbox,
  'outbox.pending': transfers.pending,
  'outbox.settle': transfers.settle,
  'outbox.depth': outboxDepth,
  'outbox.waiting': transfers.waiting,
  'users.list': access.listUsers,
  'users.create': access.createUser,
  'users.update': access.updateUser,
  'tokens.list': access.listTokens,
  'tokens.create': access.createToken,
  'tokens.revoke': access.revokeToken,
  'tokens.lookup': access.lookupToken,
  'access.bootstrap': access.bootstrap,
  'access.recover': access.recover,
  'backups.start': backups.start,
  'backups.status': backups.status,
  'backups.list': backups.list,
  'backups.origin': backups.origin,
  'backups.settle': backups.settle,
  'items.import': importItems,
  'queues.create': queues.create,
  'queues.list': queues.list,
  'queues.get': queues.get,
  'queues.delete': queues.remove,
  'queues.purge': queues.purge,
  'queues.publish': queues.publish,
  'queues.peek': queues.peek,
  'queues.browse': queues.browse,
  'queues.receive': queues.receive,
  'queues.ackAndReceive': queues.ackAndReceive,
  'queues.ack': queues.ack,
  'queues.nack': queues.nack,
  'queues.extend': queues.extend,
  'topics.create': topics.create,
  'topics.list': topics.list,
  'topics.get': topics.get,
  'topics.delete': topics.remove,
  'topics.publish': topics.publish,
  'topics.subscribe': topics.subscribe,
  'topics.subscribeV2': topics.subscribeV2,
  'topics.feed': topics.feed,
  'federations.list': topics.federations,
  'federations.set': topics.federate,
  'federations.delete': topics.unfederate,
  'grants.list': grants.list,
  'grants.set': grants.set,
  'grants.delete': grants.remove,
}
