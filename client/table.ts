// Aligned plain-text tables, the way ls and ps print them: upper-case headers, two spaces between
// columns, numbers right-aligned. No colours or borders, so output pipes cleanly into grep and cut.
import { showable } from '../api/index.ts'

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

/**
 * How wide each column may be for every row to fit `maxWidth`, or null for a column left out.
 * The shrinkable columns give up width first, the widest first, down to their header's width
 * (at least 4); then they are left out, the rightmost first. A table still too wide after that
 * has its lines cut (see table()).
 */
function fitWidths<Row>(columns: Column<Row>[], natural: number[], maxWidth: number) {
  const widths: (number | null)[] = [...natural]
  const total = () =>
    widths.reduce<number>((sum, w) => (w === null ? sum : sum + w + GAP.length), -GAP.length)
  const least = columns.map((c, i) => Math.min(natural[i], Math.max(width(c.header), 4)))
  const shrinkable = columns.flatMap((c, i) => (c.shrink ? [i] : []))
  for (let excess = total() - maxWidth; excess > 0; excess--) {
    const above = shrinkable.filter((i) => widths[i]! > least[i])
    if (!above.length) break
    const widest = above.reduce((a, b) => (widths[b]! > widths[a]! ? b : a))
    widths[widest]!--
  }
  for (const i of [...shrinkable].reverse()) {
    if (total() <= maxWidth) break
    widths[i] = null
  }
  return widths
}

/**
 * Rows as an aligned table; `maxWidth` is the terminal's width (Infinity when piped). Every
 * line fits it: see fitWidths, and a line still too long is cut, ending in …
 */
export function table<Row>(rows: Row[], columns: Column<Row>[], maxWidth = Infinity): string {
  const cells = rows.map((row) =>
    columns.map((c) => {
      const v = c.value(row)
      return {
        text: v === null || v === undefined ? '' : showable(String(v).replace(/\s+/g, ' ')),
        n: typeof v === 'number',
      }
    })
  )
  const natural = columns.map((c, i) =>
    Math.max(width(c.header), ...cells.map((r) => width(r[i].text)))
  )
  const widths = fitWidths(columns, natural, maxWidth)
  const shown = columns.flatMap((c, i) => (widths[i] === null ? [] : [i]))
  const right = columns.map(
    (c, i) => c.align === 'right' || (c.align !== 'left' && cells.some((r) => r[i].n))
  )
  const line = (texts: string[]) =>
    truncate(
      shown
        .map((i, k) => {
          const s = truncate(texts[i], widths[i]!)
          const pad = ' '.repeat(widths[i]! - width(s))
          return right[i] ? pad + s : k === shown.length - 1 ? s : s + pad
        })
        .join(GAP)
        .trimEnd(),
      maxWidth
    )
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
