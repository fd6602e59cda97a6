import { readFile } from 'node:fs/promises'
import { IMPORT_EXISTING, IMPORT_MODES, type ImportReport } from '../../api/index.ts'
import { KEY_OPTION, keyOf, positionals, type Command } from '../command.ts'
import { NodeRefusal, UsageError } from '../errors.ts'
import { printJson, type Io } from '../io.ts'

const choice = (
  args: { values: Record<string, unknown> },
  name: string,
  allowed: readonly string[]
) => {
  const value = args.values[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new UsageError(`--${name} must be ${allowed.join(' or ')}, not "${value}"`)
  }
  return value
}

async function fileText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`)
  }
}

/** A .json file's content; a file that is not JSON is the caller's mistake, and nothing is sent. */
function jsonOf(file: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`)
  }
}

function summary(report: ImportReport): string {
  const counts = [
    `${report.created} created`,
    report.updated && `${report.updated} updated`,
    report.unchanged && `${report.unchanged} unchanged`,
    report.skipped && `${report.skipped} skipped (already in the catalogue)`,
    report.refused.length && `${report.refused.length} refused`,
  ].filter(Boolean)
  return `Imported ${report.lines} lines: ${counts.join(', ')}.`
}

type FieldProblem = { path: string; message: string }

/** A field's problem on a line already named: `sku: must be…`, not `line 4.sku: must be…`. */
const fieldProblem = (line: number, { path, message }: FieldProblem) => {
  const field = path.replace(new RegExp(`^line ${line}\\.?`), '')
  return field ? `${field}: ${message}` : message
}

/** Each refused line: its number, its SKU, and why (each field's problem, when named). */
function printRefused(
  io: Io,
  problems: { line: number; sku?: string; error: string; details?: FieldProblem[] }[]
) {
  for (const p of problems) {
    const why = p.details?.length
      ? p.details.map((d) => fieldProblem(p.line, d)).join('; ')
      : p.error
    io.note(`  line ${p.line}${p.sku ? ` (${p.sku})` : ''}: ${why}`)
  }
}

export const importItems: Command = {
  name: 'import',
  summary: 'import items into the catalogue from a CSV (or JSON) file',
  synopsis: 'items FILE [--mode all|lines] [--existing refuse|skip|update] [--key KEY]',
  description:
    'Adds the items of FILE to the catalogue. A CSV file has a header row naming its columns: sku, name and unit, and optionally description and reorderPoint (empty: none); a .json file is {"items": [...]} as POST /items takes each. With --mode all (the default) one bad line refuses the whole file and nothing is imported; with --mode lines the good lines are imported and each bad one is reported with its line number (exit 1). A SKU already in the catalogue is refused (--existing refuse, the default), left as it is (skip) or changed to the line (update; a unit cannot change once the item has movements).',
  options: {
    mode: {
      type: 'string',
      arg: 'MODE',
      help: 'all (default): all lines or none; lines: the good lines',
    },
    existing: {
      type: 'string',
      arg: 'WHAT',
      help: 'refuse (default), skip or update the SKUs already in the catalogue',
    },
    key: KEY_OPTION,
  },
  examples: [
    'almacen import items catalogue.csv',
    'almacen import items catalogue.csv --mode lines --existing update',
  ],
  async run(io, args) {
    const [what, file] = positionals(args, ['WHAT', 'FILE'])
    if (what !== 'items') throw new UsageError(`only items can be imported, not "${what}"`)
    const query = new URLSearchParams()
    const mode = choice(args, 'mode', IMPORT_MODES)
    const existing = choice(args, 'existing', IMPORT_EXISTING)
    if (mode) query.set('mode', mode)
    if (existing) query.set('existing', existing)
    const path = `/items/import${query.size ? `?${query}` : ''}`
    const text = await fileText(file!)
    const json = file!.toLowerCase().endsWith('.json') ? jsonOf(file!, text) : undefined
    let report: ImportReport
    try {
      report =
        json !== undefined
          ? await io.api.post<ImportReport>(path, json, keyOf(args))
          : await io.api.postText<ImportReport>(path, text, 'text/csv', keyOf(args))
    } catch (err) {
      const lines = err instanceof NodeRefusal && Array.isArray(err.details) ? err.details : []
      if (!io.json && lines.some((d) => typeof d?.line === 'number')) {
        io.note('Nothing was imported. The lines refused:')
        printRefused(
          io,
          lines.map((d) => ({ line: d.line, error: fieldProblem(d.line, d) }))
        )
      }
      throw err
    }
    if (io.json) printJson(io, report)
    else {
      io.print(summary(report))
      printRefused(io, report.refused)
    }
    return report.refused.length > 0 ? 1 : 0
  },
}
