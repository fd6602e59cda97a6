import type { Backup } from '../../api/index.ts'
import { positionals, type Command } from '../command.ts'
import { printJson } from '../io.ts'
import { details } from '../table.ts'

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`

export const backup: Command = {
  name: 'backup',
  summary: "take a backup of the node's database, and fetch it",
  synopsis: '[FILE]',
  description:
    "Has the node take a consistent copy of its database while it serves, into its data directory's backups/ folder, and says its name, size and last ledger row. With FILE, also downloads the copy into FILE (from any machine that reaches the node). To restore, see the README's Backups section.",
  examples: ['almacen backup', 'almacen backup ~/almacen-$(date +%F).sqlite'],
  async run(io, args) {
    const [file] = positionals(args, [], ['FILE'])
    const taken = await io.api.post<Backup>('/backup', {}, null)
    const fetched = file ? await io.api.download(`/backups/${taken.name}`, file) : undefined
    if (io.json) return printJson(io, fetched ? { ...taken, file } : taken)
    io.print(
      details([
        ['Backup', taken.name],
        ['Size', megabytes(taken.bytes)],
        ['Last ledger row', `#${taken.head.seq} (${taken.head.hash.slice(0, 12)}…)`],
        ['Taken at', taken.takenAt],
        ...(fetched && file
          ? [['Saved to', `${file} (${megabytes(fetched.bytes)})`] as [string, string]]
          : []),
      ])
    )
  },
}
