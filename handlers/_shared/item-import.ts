// What POST /items/import does before the worker sees a line: a CSV read into items (its header
// checked), and every item checked with POST /items's own schema, each problem named by its line.
import {
  ITEM_COLUMNS,
  itemInput,
  itemOfCsv,
  MAX_IMPORT_ITEMS,
  REQUIRED_ITEM_COLUMNS,
  type ImportProblem,
  type ItemInput,
} from '../../api/index.ts'
import { HttpError, parseCsv, validate, type FieldProblem } from '../../runtime/index.ts'

/** An item as sent, not yet checked, and the line it came from. */
export interface RawLine {
  line: number
  item: unknown
}

const CANONICAL = new Map(ITEM_COLUMNS.map((column) => [column.toLowerCase(), column]))

function refuseFile(message: string, path = 'line 1'): never {
  throw new HttpError('VALIDATION_FAILED', message, { details: [{ path, message }] })
}

/** The header's columns, by their canonical names; unknown, missing or repeated ones refused. */
function columnsOf(header: string[]): string[] {
  const columns = header.map((name) => CANONICAL.get(name.trim().toLowerCase()) ?? name.trim())
  const unknown = columns.filter((c) => !CANONICAL.has(c.toLowerCase()))
  const known = `the columns are ${ITEM_COLUMNS.join(',')}, with a header row naming them`
  if (unknown.length > 0)
    refuseFile(`Unknown column(s) ${unknown.join(', ')} in the header: ${known}`)
  const missing = REQUIRED_ITEM_COLUMNS.filter((c) => !columns.includes(c))
  if (missing.length > 0) refuseFile(`The header has no column ${missing.join(', ')}: ${known}`)
  const twice = columns.filter((c, i) => columns.indexOf(c) !== i)
  if (twice.length > 0) refuseFile(`The header names ${twice.join(', ')} more than once`)
  return columns
}

/** The items of a CSV file, each with its line; a record of the wrong width is a problem. */
export function csvLines(text: string): { lines: RawLine[]; problems: ImportProblem[] } {
  // The header and one item more than an import takes, at most: a file of millions of short
  // lines is refused without building an object for each on the runtime's thread.
  const [header, ...records] = parseCsv(text, MAX_IMPORT_ITEMS + 2)
  if (!header)
    refuseFile(
      `The file is empty: its first line must be a header such as ${ITEM_COLUMNS.join(',')}`
    )
  const columns = columnsOf(header.fields)
  if (records.length === 0) refuseFile('The file has no items after its header', 'line 2')
  if (records.length > MAX_IMPORT_ITEMS) {
    refuseFile(
      `The file has more than ${MAX_IMPORT_ITEMS} items; an import takes ${MAX_IMPORT_ITEMS} at most`
    )
  }
  const lines: RawLine[] = []
  const problems: ImportProblem[] = []
  for (const { line, fields } of records) {
    if (fields.length === columns.length) lines.push({ line, item: itemOfCsv(columns, fields) })
    else {
      const error = `Line ${line} has ${fields.length} fields; the header has ${columns.length}`
      problems.push({ line, sku: fields[0]?.trim(), code: 'VALIDATION_FAILED', error })
    }
  }
  return { lines, problems }
}

/** Each line checked as POST /items checks its body: the items, and a problem per bad line. */
export function checkLines(raw: RawLine[]) {
  const valid: { line: number; item: ItemInput }[] = []
  const problems: ImportProblem[] = []
  for (const { line, item } of raw) {
    try {
      valid.push({ line, item: validate(itemInput, item, `line ${line}`) })
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      const given = (item as { sku?: unknown }).sku
      problems.push({
        line,
        ...(typeof given === 'string' && { sku: given.trim() }),
        code: err.code,
        error: err.message,
        details: err.details as FieldProblem[],
      })
    }
  }
  return { valid, problems }
}

/** mode=all with bad lines: 400 naming each (a few in the sentence, all in the details). */
export function refuseLines(problems: ImportProblem[], total: number): never {
  const sorted = [...problems].sort((a, b) => a.line - b.line)
  const shown = sorted.slice(0, 5).map((p) => p.error)
  const more = sorted.length > 5 ? `; and ${sorted.length - 5} more` : ''
  throw new HttpError(
    'VALIDATION_FAILED',
    `${sorted.length} of ${total} lines are not valid, so nothing was imported: ${shown.join('; ')}${more}`,
    {
      details: sorted.flatMap(({ line, error, details }) =>
        details?.length
          ? details.map((d) => ({ line, path: `line ${line}.${d.path}`, message: d.message }))
          : [{ line, path: `line ${line}`, message: error }]
      ),
    }
  )
}
