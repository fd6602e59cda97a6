import { importBody, importQuery, type ImportReport } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'
import { checkLines, csvLines, refuseLines } from '../_shared/item-import.ts'

/** Many items at once, from CSV or JSON: all of them or none (mode=all), or the good lines. */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Adds (or updates) many items from CSV or JSON: all or none, or line by line',
    query: importQuery,
    body: importBody,
    text: {
      type: 'text/csv',
      description:
        'A header row naming the columns (sku,name,unit required; description, reorderPoint ' +
        'optional), then one item a line; an empty reorderPoint is none.',
      example:
        'sku,name,unit,description,reorderPoint\r\nBOLT-M8,Bolt M8 zinc,ea,"Zinc, M8",50\r\n',
    },
    maxBodyBytes: 16 * 1024 * 1024,
    example: {
      query: { mode: 'lines', existing: 'skip' },
      body: { items: [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', unit: 'ea', reorderPoint: 50 }] },
    },
  },
  async (_request, ctx, { query: { mode, existing }, body, text }): Promise<ImportReport> => {
    const read = text !== undefined ? csvLines(text) : { lines: [], problems: [] }
    const raw = body ? body.items.map((item, i) => ({ line: i + 1, item })) : read.lines
    const total = raw.length + read.problems.length
    const { valid, problems } = checkLines(raw)
    problems.push(...read.problems)
    if (mode === 'all' && problems.length > 0) refuseLines(problems, total)
    const done = valid.length
      ? await ctx.db.send('items.import', { lines: valid, mode, existing }, { timeoutMs: 60_000 })
      : { created: 0, updated: 0, unchanged: 0, skipped: 0, refused: [] }
    const refused = [...problems, ...done.refused].sort((a, b) => a.line - b.line)
    return { mode, existing, lines: total, ...done, refused }
  }
)
