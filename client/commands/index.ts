// Every one-shot command, grouped as `almacen --help` lists them.
import type { Command } from '../command.ts'
import { addItem } from './add-item.ts'
import { adjust } from './adjust.ts'
import { adopt } from './adopt.ts'
import { backup } from './backup.ts'
import { count } from './count.ts'
import { editItem } from './edit-item.ts'
import { exportList } from './export.ts'
import { forceLeave } from './force-leave.ts'
import { health } from './health.ts'
import { history } from './history.ts'
import { importItems } from './import.ts'
import { issue } from './issue.ts'
import { item } from './item.ts'
import { items } from './items.ts'
import { join } from './join.ts'
import { leave } from './leave.ts'
import { members } from './members.ts'
import { node } from './node.ts'
import { receive } from './receive.ts'
import { receiveTransfer } from './receive-transfer.ts'
import { rejectTransfer } from './reject-transfer.ts'
import { cancelTransfer } from './cancel-transfer.ts'
import { returnTransfer } from './return-transfer.ts'
import { send } from './send.ts'
import { stock } from './stock.ts'
import { transfers } from './transfers.ts'
import { keys } from './keys.ts'
import { peekMessages, publish, queues, receiveMessages } from './messages.ts'
import { tokens, users } from './users.ts'
import { verify } from './verify.ts'
import { where } from './where.ts'

export const COMMAND_GROUPS: { title: string; commands: Command[] }[] = [
  {
    title: 'Stock and movements',
    commands: [stock, where, receive, issue, count, adjust, history],
  },
  {
    title: 'Transfers between warehouses',
    commands: [send, transfers, receiveTransfer, rejectTransfer, cancelTransfer, returnTransfer],
  },
  { title: 'Catalogue', commands: [items, item, addItem, editItem, adopt] },
  { title: 'Bulk', commands: [importItems, exportList] },
  { title: 'Node', commands: [node, health, verify, backup] },
  { title: 'Peer network', commands: [members, join, leave, forceLeave, keys] },
  { title: 'Messages', commands: [queues, publish, receiveMessages, peekMessages] },
  { title: 'Users and API tokens', commands: [users, tokens] },
]

export const COMMANDS: Command[] = COMMAND_GROUPS.flatMap((g) => g.commands)

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name)
}
