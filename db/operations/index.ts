import type { OpName } from '../contract/index.ts'
import { listEvents } from '../events/log.ts'
import * as catalogue from './catalogue.ts'
import { restoreBegin, restoreFinish, restorePage, restoreReport } from '../ledger/restore.ts'
import { witnessed } from '../ledger/start-check.ts'
import * as items from './items.ts'
import * as ledger from './ledger.ts'
import * as members from './members.ts'
import * as movements from './movements.ts'
import * as node from './node.ts'
import { apply, breakOne } from '../replicas/apply.ts'
import { ownFeed, ownHashes, replicaFeed, replicaHashes } from '../replicas/feed.ts'
import * as replicas from '../replicas/read.ts'
import type { Operation } from './run.ts'
import * as stock from './stock.ts'

export type { Operation } from './run.ts'
export type OperationTable = { [O in OpName]: Operation<O> }

export const operations: OperationTable = {
  'node.info': node.info,
  'node.ping': node.ping,
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
  'ledger.verifyStart': ledger.verifyStart,
  'ledger.verifyStep': ledger.verifyStep,
  'ledger.verifyFinish': ledger.verifyFinish,
  'ledger.verifyCancel': ledger.verifyCancel,
  'ledger.accept': ledger.accept,
  'ledger.status': ledger.status,
  'ledger.restoreBegin': restoreBegin,
  'ledger.restorePage': restorePage,
  'ledger.restoreFinish': restoreFinish,
  'ledger.restoreReport': restoreReport,
  'ledger.witnessed': witnessed,
  'members.list': members.list,
  'members.apply': members.apply,
  'members.reap': members.reap,
  'events.list': listEvents,
  'replicas.apply': apply,
  'replicas.break': breakOne,
  'replicas.list': replicas.list,
  'replicas.get': replicas.get,
  'replicas.movements': replicas.movements,
  'replicas.verify': replicas.verify,
  'replicas.feed': replicaFeed,
  'replicas.head': replicas.head,
  'replicas.hashes': replicaHashes,
  'replicas.stock': replicas.stock,
  'events.feed': ownFeed,
  'ledger.hashes': ownHashes,
  'items.network': catalogue.network,
  'items.adopt': catalogue.adopt,
}
