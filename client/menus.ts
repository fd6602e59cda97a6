// The interactive client's menus, as data: the main menu lists these in order, each opens its
// actions.
import { addItemInteractively } from './commands/add-item.ts'
import { adjustItem } from './commands/adjust.ts'
import { countItem } from './commands/count.ts'
import { editItemInteractively } from './commands/edit-item.ts'
import { nodeHealth } from './commands/health.ts'
import { itemHistory } from './commands/history.ts'
import { issueGoods } from './commands/issue.ts'
import { showItem } from './commands/item.ts'
import { listItems, searchItems } from './commands/items.ts'
import { joinNetwork } from './commands/join.ts'
import { leaveNetwork } from './commands/leave.ts'
import {
  createQueueInteractively,
  deadLetters,
  deleteQueueInteractively,
  listQueues,
  peekQueue,
  publishInteractively,
} from './commands/messages.ts'
import { networkMembers } from './commands/members.ts'
import { nodeIdentity } from './commands/node.ts'
import { receiveGoods } from './commands/receive.ts'
import { receiveIncoming } from './commands/receive-transfer.ts'
import { sendGoods } from './commands/send.ts'
import { transferStepInteractively } from './commands/transfer-step.ts'
import { lowStock, onHand, stockOfOne } from './commands/stock.ts'
import {
  incomingTransfersList,
  outgoingTransfers,
  transferStoryInteractively,
} from './commands/transfers.ts'
import { verifyLedger } from './commands/verify.ts'
import { whereIsIt } from './commands/where.ts'
import type { Io } from './io.ts'
import { UNCONFIRMED, type Changes, type Menu } from './menu-loop.ts'

const RECORDS: Changes = { cancelled: 'Cancelled: nothing was recorded.', unconfirmed: UNCONFIRMED }
const CATALOGUE: Changes = {
  cancelled: 'Cancelled: nothing was changed.',
  unconfirmed:
    'The node did not confirm it, so it may or may not have been saved. Look at the item (Items › Show an item) before entering it again.',
}
const SENT: Changes = {
  cancelled: 'Cancelled: nothing was sent.',
  unconfirmed:
    'The node did not confirm it, so it may or may not have been sent. Look at Transfers › Outgoing before sending it again.',
}
const RECEIVED: Changes = {
  cancelled: 'Cancelled: nothing was received.',
  unconfirmed:
    "The node did not confirm it, so it may or may not have been recorded. Look at the transfer's story (Transfers › One transfer) before receiving it again.",
}
const STEPPED: Changes = {
  cancelled: 'Cancelled: nothing was done.',
  unconfirmed:
    "The node did not confirm it, so it may or may not have been done. Look at the transfer's story (Transfers › One transfer) before doing it again.",
}
const PUBLISHED: Changes = {
  cancelled: 'Cancelled: nothing was published.',
  unconfirmed:
    'The node did not confirm it, so it may or may not have been published. Publish it again with the same id: it is taken once.',
}
const QUEUES: Changes = {
  cancelled: 'Cancelled: nothing was changed.',
  unconfirmed:
    'The node did not confirm it, so it may or may not have been done. Messages › Queues shows where things stand.',
}
const MEMBERSHIP = (cancelled: string): Changes => ({
  cancelled,
  unconfirmed:
    'The node did not confirm it, so it may or may not have been done. Network › Members shows where this node stands.',
})

export const MENUS: Menu[] = [
  {
    key: 'movements',
    title: 'Movements',
    hint: 'receive, issue, count, adjust, history',
    actions: [
      { key: 'receive', title: 'Receive goods', run: receiveGoods, changes: RECORDS },
      { key: 'issue', title: 'Issue goods', run: issueGoods, changes: RECORDS },
      {
        key: 'count',
        title: 'Count an item (stock becomes what you counted)',
        run: countItem,
        changes: RECORDS,
      },
      {
        key: 'adjust',
        title: 'Adjust by a difference (damaged, found…)',
        run: adjustItem,
        changes: RECORDS,
      },
      { key: 'history', title: 'History of an item', run: itemHistory },
    ],
  },
  {
    key: 'stock',
    title: 'Stock',
    hint: 'one item, low stock, everything on hand',
    actions: [
      { key: 'one', title: 'One item', run: stockOfOne },
      { key: 'low', title: 'Low stock (what to reorder)', run: lowStock },
      { key: 'all', title: 'Everything on hand', run: onHand },
    ],
  },
  {
    key: 'where',
    title: 'Where is it?',
    hint: 'one SKU in every warehouse, and the total',
    actions: [{ key: 'where', title: 'Where is it?', run: whereIsIt }],
  },
  {
    key: 'transfers',
    title: 'Transfers',
    hint: 'send to another warehouse, receive, put right, in and out',
    actions: [
      { key: 'send', title: 'Send goods to another warehouse', run: sendGoods, changes: SENT },
      {
        key: 'receive-transfer',
        title: 'Receive a transfer that arrived',
        run: receiveIncoming,
        changes: RECEIVED,
      },
      {
        key: 'step',
        title: 'Reject, cancel or book back a transfer',
        run: transferStepInteractively,
        changes: STEPPED,
      },
      { key: 'outgoing', title: 'Outgoing transfers', run: outgoingTransfers },
      { key: 'incoming', title: 'Incoming transfers', run: incomingTransfersList },
      { key: 'story', title: "One transfer's story", run: transferStoryInteractively },
    ],
  },
  {
    key: 'items',
    title: 'Items',
    hint: 'search, list, show, add, edit',
    actions: [
      { key: 'search', title: 'Search', run: searchItems },
      { key: 'list', title: 'List all items', run: listItems },
      { key: 'show', title: 'Show an item', run: showItem },
      { key: 'add', title: 'Add an item', run: addItemInteractively, changes: CATALOGUE },
      { key: 'edit', title: 'Edit an item', run: editItemInteractively, changes: CATALOGUE },
    ],
  },
  {
    key: 'messages',
    title: 'Messages',
    hint: 'queues, publish, look, dead letters',
    actions: [
      { key: 'queues', title: 'Queues and what they hold', run: listQueues },
      { key: 'publish', title: 'Publish a message', run: publishInteractively, changes: PUBLISHED },
      { key: 'look', title: 'Look at a queue (nothing is taken)', run: peekQueue },
      { key: 'dead', title: 'Dead letters', run: deadLetters },
      { key: 'create', title: 'Make a queue', run: createQueueInteractively, changes: QUEUES },
      { key: 'delete', title: 'Delete a queue', run: deleteQueueInteractively, changes: QUEUES },
    ],
  },
  {
    key: 'node',
    title: 'Node',
    hint: 'identity, health, verify the ledger',
    actions: [
      { key: 'identity', title: 'Identity: which node this is', run: nodeIdentity },
      { key: 'health', title: 'Health', run: nodeHealth },
      { key: 'verify', title: 'Verify the ledger', run: verifyLedger },
    ],
  },
  {
    key: 'network',
    title: 'Network',
    hint: 'members and their state, join, leave',
    actions: [
      {
        key: 'members',
        title: 'Members: who is in the network, and how each is doing',
        run: networkMembers,
      },
      {
        key: 'join',
        title: 'Join a network',
        run: joinNetwork,
        changes: MEMBERSHIP('Cancelled: this node did not join.'),
      },
      {
        key: 'leave',
        title: 'Leave the network',
        run: leaveNetwork,
        changes: MEMBERSHIP('Nothing done: this node is still in the network.'),
      },
    ],
  },
]
