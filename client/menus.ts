// The interactive client's menus, as data: the main menu lists these in order, each opens its
// actions. Transfers and messaging arrive as more entries in MENUS.
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
import { networkMembers } from './commands/members.ts'
import { nodeIdentity } from './commands/node.ts'
import { receiveGoods } from './commands/receive.ts'
import { lowStock, onHand, stockOfOne } from './commands/stock.ts'
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
