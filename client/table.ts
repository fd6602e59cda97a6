// Aligned plain-text tables, the way ls and ps print them: upper-case headers, two spaces between
// columns, numbers right-aligned. No colours or borders, so output pipes cleanly into grep and cut.

export interface Column<Row> {
  header: string
  value: (row: Row) => string | number | null | undefined
  /** Defaults to right for numbers, left for everything else. */
  align?: 'left' | 'right'
  /** This column gives up width (ending in …) when the table is wider than the terminal. */
  shrink?: boolean
}

const GAP = '  '
const width = (s: string) => [...s].length

function truncate(s: string, max: number): string {
  return width(s) <= max ? s : [...s].slice(0, Math.max(max - 1, 0)).join('') + '…'
}

/** Rows as an aligned table; `maxWidth` is the terminal's width (Infinity when piped). */
export function table<Row>(rows: Row[], columns: Column<Row>[], maxWidth = Infinity): string {
  const cells = rows.map((row) =>
    columns.map((c) => {
      const v = c.value(row)
      return {
        text: v === null || v === undefined ? '' : String(v).replace(/\s+/g, ' '),
        n: typeof v === 'number',
      }
    })
  )
  const widths = columns.map((c, i) =>
    Math.max(width(c.header), ...cells.map((r) => width(r[i].text)))
  )
  const total = widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1)
  const shrinking = columns.findIndex((c) => c.shrink)
  if (total > maxWidth && shrinking >= 0) {
    widths[shrinking] = Math.max(
      widths[shrinking] - (total - maxWidth),
      width(columns[shrinking].header),
      8
    )
  }
  const right = columns.map(
    (c, i) => c.align === 'right' || (c.align !== 'left' && cells.some((r) => r[i].n))
  )
  const line = (texts: string[]) =>
    texts
      .map((t, i) => {
        const s = truncate(t, widths[i])
        const pad = ' '.repeat(widths[i] - width(s))
        return right[i] ? pad + s : i === texts.length - 1 ? s : s + pad
      })
      .join(GAP)
      .trimEnd()
  return [line(columns.map((c) => c.header)), ...cells.map((r) => line(r.map((c) => c.text)))].join(
    '\n'
  )
}

/** Label/value pairs, labels aligned: for one item, one node. Empty values are left out. */
export function details(pairs: [string, string | number | null | undefined][]): string {
  const shown = pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
  const w = Math.max(...shown.map(([k]) => width(k)))
  return shown.map(([k, v]) => `${k}:${' '.repeat(w - width(k) + 2)}${v}`).join('\n')
}
