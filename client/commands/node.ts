import type { NodeInfo } from '../../db/contract/index.ts'
import { positionals, type Command } from '../command.ts'
import { when } from '../format.ts'
import { printJson, type Io } from '../io.ts'
import { details } from '../table.ts'

/** GET /node: the contract's NodeInfo plus what the HTTP side adds. */
export interface NodeIdentity extends NodeInfo {
  version: string
  startedAt: string
  uptimeSeconds: number
}

function uptime(seconds: number): string {
  const d = Math.floor(seconds / 86400)
  const h = Math.floor((seconds % 86400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min ${seconds % 60} s`
}

async function show(io: Io) {
  const node = await io.api.get<NodeIdentity>('/node')
  if (io.json) return printJson(io, node)
  io.print(
    details([
      ['Warehouse', node.name],
      ['Address', io.api.url],
      ['Node id', node.id],
      ['Version', node.version],
      ['Running since', `${when(node.startedAt)} (${uptime(node.uptimeSeconds)})`],
      ['Items', node.counts.items],
      ['Movements', node.counts.movements],
      ['Database', node.database.file],
      [
        'SQLite',
        `${node.database.sqliteVersion}, journal ${node.database.journalMode}, synchronous ${node.database.synchronous}`,
      ],
    ])
  )
}

export const node: Command = {
  name: 'node',
  summary: 'show which node this is',
  synopsis: '',
  description:
    "Shows the node's warehouse name, id, version, uptime, how many items and movements it holds, and where its database is.",
  async run(io, args) {
    positionals(args, [])
    await show(io)
  },
}

/** Node › Identity. */
export const nodeIdentity = show
