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
import type { Io } from './io.ts'
import { UNCONFIRMED } from './menu-loop.ts'

/** What leaving an action that changes something means, in words for the person. */
export interface Changes {
  /** Said when Ctrl-C leaves it before anything was sent. */
  cancelled: string
  /** Said when the node did not confirm a change it was sent (Ctrl-C, or no answer). */
  unconfirmed: string
}

export interface MenuAction {
  /** Stable name for tests and scripts that inject answers. */
  key: string
  title: string
  run(io: Io): Promise<void>
  /** Set on actions that change something; a look-up left with Ctrl-C simply goes back. */
  changes?: Changes
}

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

export interface Menu {
  key: string
  title: string
  /** What is inside, shown beside the title in the main menu. */
  hint: string
  actions: MenuAction[]
}

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
