// CSV for the routes that take or give a whole file (items import, exports), on the csv project's
// parser and writer: quoted fields (commas, quotes and line breaks inside), a UTF-8 BOM and CRLF
// or LF line ends are theirs to get right, and they have for years.
import { CsvError, parse } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'
import { HttpError } from './errors.ts'

/**
 * A text field that a spreadsheet would run as a formula (=, +, -, @, their full-width forms, a
 * tab or a carriage return first, after any quotes: OWASP's "CSV injection") is written with a '
 * before it, which a spreadsheet shows as text without the quote; numbers are left alone. The
 * import takes one quote off such a field again: the two are exact inverses, so a file exported
 * and imported keeps every name as it was, `'=x` included (written `''=x`).
 */
const FORMULA = /^'*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/
const ESCAPED_FORMULA = /^'+[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/

/** One record of a CSV file and the line it starts on (1 is the header's). */
export interface CsvRecord {
  line: number
  fields: string[]
}

/** Line breaks the parser counted inside a record's quoted fields (each \r and \n counts one). */
function breaksIn(fields: string[]): number {
  let breaks = 0
  for (const field of fields) for (const c of field) if (c === '\n' || c === '\r') breaks++
  return breaks
}

/**
 * The records of a CSV text, each with the line it starts on; blank lines are skipped. A record
 * may have any number of fields (the caller checks them against its header). A file that is not
 * CSV (a quote left open) is refused with 400 naming the line. With `most`, no more records than
 * that are read: the rest of the text is not parsed.
 */
export function parseCsv(text: string, most?: number): CsvRecord[] {
  try {
    const parsed = parse(text, {
      ...(most !== undefined && { to: most }),
      bom: true,
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      // Every line end ends a record, whichever the file began with: left to find one, the parser
      // took a bare LF in a CRLF file as part of a field (two lines read as one item, unsaid).
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as unknown as { record: string[]; info: { lines: number } }[]
    // `lines` is where a record ends, as the parser counts: its start is that less the breaks
    // inside its fields. The parser counts a CRLF inside quotes as two lines where an editor
    // shows one, and carries the difference to every record after: taken off again here.
    let extra = 0
    return parsed.map(({ record, info }) => {
      const line = info.lines - breaksIn(record) - extra
      for (const field of record) extra += field.split('\r\n').length - 1
      const fields = record.map((f) => (ESCAPED_FORMULA.test(f) ? f.slice(1) : f))
      return { line, fields }
    })
  } catch (err) {
    if (!(err instanceof CsvError)) throw err
    const line = (err as CsvError & { lines?: number }).lines
    throw new HttpError('VALIDATION_FAILED', `The CSV cannot be read: ${err.message}`, {
      details: [{ path: line ? `line ${line}` : '(file)', message: err.message }],
    })
  }
}

/**
 * Rows as CSV text, each ended by CRLF (RFC 4180), fields quoted where they need it; null is an
 * empty field, a boolean true or false; a text that would be a formula has a ' before it
 * (FORMULA).
 */
export function csvRows(rows: readonly (readonly unknown[])[]): string {
  return stringify(rows as unknown[][], {
    record_delimiter: '\r\n',
    // A line break of any kind inside a field is quoted: a reader ends a record at each.
    quoted_match: /[\r\n]/,
    cast: {
      boolean: (value) => String(value),
      string: (value) => (FORMULA.test(value) ? `'${value}` : value),
    },
  })
}
