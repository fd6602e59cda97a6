// How the node's records read on screen: one table shape per kind of record, and a sentence for
// each movement, so the menus and the one-shot commands show the same thing the same way.
import { kindOf, type Movement } from '../api/index.ts'
import type { Item, NetworkItem, Stock } from '../api/index.ts'
import { table, type Column } from './table.ts'

/** A node timestamp in the warehouse computer's local time, to the minute: 2026-11-22 10:04. */
export function when(iso: string): string {
  const d = new Date(iso)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`
}

/**
 * How long ago, in the unit a person takes in at a glance: "0.4 s ago", "12 s ago", "3 min ago",
 * "5 h ago", "2 d ago"; "never" for null. Tenths only under 10 s, where they tell a live link from
 * a slow one. A time slightly ahead of `now` (clocks a hair apart) reads as 0.0 s ago.
 */
export function ago(iso: string | null, now = Date.now()): string {
  if (iso === null) return 'never'
  const seconds = Math.max(0, now - Date.parse(iso)) / 1000
  if (seconds < 10) return `${seconds.toFixed(1)} s ago`
  if (seconds < 60) return `${Math.floor(seconds)} s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 2 * 86400) return `${Math.floor(seconds / 3600)} h ago`
  return `${Math.floor(seconds / 86400)} d ago`
}

/** "1 movement", "3 movements". */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

const signed = (n: number) => (n > 0 ? `+${n}` : String(n))

/** A reorder point in a table: — for none (never low). */
const reorderAt = (point: number | null) => point ?? '—'

/** A reorder point in a sentence or a detail line, with the item's unit. */
export const reorderPoint = (point: number | null, unit: string) =>
  point === null ? 'none (never shown as low)' : `${point} ${unit}`

/** The ledger's word for a movement, except that a counted adjustment reads as a count. */
export function kind(m: Movement): string {
  return kindOf(m).replace(/_/g, ' ') // transfer_out: "transfer out"
}

const ITEM_COLUMNS: Column<Item>[] = [
  { header: 'SKU', value: (i) => i.sku },
  { header: 'NAME', value: (i) => i.name, shrink: true },
  { header: 'UNIT', value: (i) => i.unit },
  { header: 'REORDER AT', value: (i) => reorderAt(i.reorderPoint), align: 'right' },
  { header: 'DESCRIPTION', value: (i) => i.description, shrink: true },
]

const STOCK_COLUMNS: Column<Stock>[] = [
  { header: 'SKU', value: (s) => s.sku },
  { header: 'NAME', value: (s) => s.name, shrink: true },
  { header: 'ON HAND', value: (s) => s.onHand },
  { header: 'IN TRANSIT', value: (s) => s.inTransit },
  { header: 'UNIT', value: (s) => s.unit },
  { header: 'REORDER AT', value: (s) => reorderAt(s.reorderPoint), align: 'right' },
  { header: 'LOW', value: (s) => (s.low ? 'low' : '') },
]

const MOVEMENT_COLUMNS: Column<Movement>[] = [
  { header: '#', value: (m) => m.seq },
  { header: 'WHEN', value: (m) => when(m.createdAt) },
  { header: 'SKU', value: (m) => m.sku },
  { header: 'TYPE', value: kind },
  { header: 'CHANGE', value: (m) => signed(m.delta), align: 'right' },
  { header: 'BALANCE', value: (m) => m.balanceAfter },
  // Who made it; rows from before that was recorded say nothing.
  { header: 'BY', value: (m) => m.actorName ?? m.actor ?? '', shrink: true },
  { header: 'REFERENCE', value: (m) => m.reference, shrink: true },
  { header: 'NOTE', value: (m) => m.note, shrink: true },
]

const NETWORK_ITEM_COLUMNS: Column<NetworkItem>[] = [
  { header: 'SKU', value: (i) => i.sku },
  { header: 'NAME', value: (i) => i.origins[0]?.item.name ?? '', shrink: true },
  { header: 'UNIT', value: (i) => i.units.join(' / ') },
  {
    header: 'DEFINED AT',
    value: (i) => i.origins.map((o) => (o.here ? `${o.node.name} (here)` : o.node.name)).join(', '),
    shrink: true,
  },
  { header: 'NOTE', value: (i) => (i.unitsDiffer ? 'units differ' : i.here ? '' : 'not here') },
]

export const networkItemTable = (items: NetworkItem[], width?: number) =>
  table(items, NETWORK_ITEM_COLUMNS, width)
export const itemTable = (items: Item[], width?: number) => table(items, ITEM_COLUMNS, width)
/** Stock as a table; IN TRANSIT (sent from here, not yet settled) only when something is. */
export const stockTable = (stock: Stock[], width?: number) =>
  table(
    stock,
    stock.some((s) => s.inTransit)
      ? STOCK_COLUMNS
      : STOCK_COLUMNS.filter((c) => c.header !== 'IN TRANSIT'),
    width
  )
export const movementTable = (movements: Movement[], width?: number) =>
  table(movements, MOVEMENT_COLUMNS, width)

/** What a recorded movement did, in one sentence a person can check against the paperwork. */
export function describeMovement(m: Movement, unit: string): string {
  const ref = m.reference ? ` (${m.reference})` : ''
  const after = `On hand now: ${m.balanceAfter} ${unit}. Ledger entry #${m.seq}.`
  if (m.type === 'receipt') return `Received ${m.quantity} ${unit} of ${m.sku}${ref}. ${after}`
  if (m.type === 'issue') return `Issued ${m.quantity} ${unit} of ${m.sku}${ref}. ${after}`
  if (m.countedQuantity === null) {
    return `Adjusted ${m.sku} by ${signed(m.delta)} ${unit}${ref}. ${after}`
  }
  const before = m.balanceAfter - m.delta
  const outcome =
    m.delta === 0
      ? 'it matches the records, nothing to adjust'
      : `the records said ${before} ${unit}, adjusted by ${signed(m.delta)} ${unit}`
  return `Counted ${m.countedQuantity} ${unit} of ${m.sku}${ref}: ${outcome}. Ledger entry #${m.seq}.`
}

/**
 * A one-line message broken at spaces to fit the terminal, continuation lines indented two
 * spaces (the terminal itself would cut words in half). Text with line breaks, such as a table,
 * is already laid out and is returned as it is.
 */
export function fit(text: string, width: number): string {
  if (text.includes('\n') || text.length <= width) return text
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = `  ${word}`
    } else line = line ? `${line} ${word}` : word
  }
  return [...lines, line].join('\n')
}
