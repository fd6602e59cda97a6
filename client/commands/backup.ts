import { open, rm, stat } from 'node:fs/promises'
import type { Backup } from '../../api/index.ts'
import { positionals, type Command } from '../command.ts'
import { isFileError, LocalFileError } from '../errors.ts'
import { printJson } from '../io.ts'
import { details } from '../table.ts'

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`

/**
 * Whether FILE can be made here, asked before the node takes a backup: the node keeps every
 * backup taken by hand, and a download that cannot be written would leave one per try.
 */
async function canWrite(file: string): Promise<void> {
  const partial = `${file}.partial` // where the download goes first (client/http-request.ts)
  try {
    const existing = await stat(file).catch(() => undefined)
    if (existing?.isDirectory()) {
      throw Object.assign(new Error('it is a folder'), { code: 'EISDIR', path: file })
    }
    await rm(partial, { force: true })
    await (await open(partial, 'wx', 0o600)).close()
    await rm(partial)
  } catch (err) {
    throw isFileError(err) ? new LocalFileError(file, err) : err
  }
}

export const backup: Command = {
  name: 'backup',
  summary: "take a backup of the node's database, and fetch it",
  synopsis: '[FILE]',
  description:
    "Has the node take a consistent copy of its database while it serves, into its data directory's backups/ folder, and says its name, size and last ledger row. With FILE, also downloads the copy into FILE (from any machine that reaches the node). To restore, see the README's Backups section.",
  examples: ['almacen backup', 'almacen backup ~/almacen-$(date +%F).sqlite'],
  async run(io, args) {
    const [file] = positionals(args, [], ['FILE'])
    if (file) await canWrite(file)
    // Not sent twice: each request takes another whole copy of the database.
    const taken = await io.api.postOnce<Backup>(
      '/backup',
      {},
      'list the backups (GET /backups) before taking another'
    )
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
