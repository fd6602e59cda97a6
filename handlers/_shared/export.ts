// GET /items/export and GET /stock/export: a whole list written as it is read, a page from the
// worker at a time, so that the node holds one page, never the list. The first page is read
// before the answer starts: a refusal then still gets its status.
import { csvRows, stream } from '../../runtime/index.ts'

/** Rows read from the worker at a time. */
const PAGE = 500

/** One page of a list, as the worker's list operations answer. */
export interface Page<Row> {
  rows: Row[]
  nextCursor: string | null
}

export interface ExportOptions<Row> {
  format: 'csv' | 'json'
  /** The list's name: the JSON's key and the file's name (items → items.csv). */
  name: string
  columns: readonly string[]
  /** A row as CSV fields, in the order of `columns`. */
  fields(row: Row): unknown[]
  page(limit: number, cursor?: string): Promise<Page<Row>>
  signal: AbortSignal
  /** Cuts the connection off (`ctx.cutOff`): a list that cannot be read to its end is never sent as if whole. */
  cutOff: () => void
}

/** The list as CSV (a header, then a line per row) or JSON (`{"<name>": [...]}`). */
export async function exportList<Row>(options: ExportOptions<Row>): Promise<Response> {
  const { format, name, columns, fields, signal, cutOff } = options
  const csv = format === 'csv'
  const encoder = new TextEncoder()
  let next: Page<Row> | null = await options.page(PAGE)
  let started = false
  let rowsSent = 0
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (next === null || signal.aborted) return controller.close()
      const { rows, nextCursor } = next
      const head = started ? '' : csv ? csvRows([columns]) : `{"${name}":[`
      const text = csv
        ? csvRows(rows.map(fields))
        : rows.map((row, i) => (rowsSent + i > 0 ? ',' : '') + JSON.stringify(row)).join('')
      started = true
      rowsSent += rows.length
      const tail = nextCursor === null && !csv ? ']}\n' : ''
      controller.enqueue(encoder.encode(head + text + tail))
      next = nextCursor === null ? null : await options.page(PAGE, nextCursor)
    },
  })
  return stream(
    body,
    {
      'content-type': csv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="${name}.${format}"`,
      'cache-control': 'no-store',
    },
    cutOff
  )
}
