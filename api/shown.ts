// How the clients show what the API returns, for the text client and the web alike. No schema
// here: the web page imports this file alone, and so does not load zod (and its 40 language
// packs), which api/index.ts would bring (the page grew from 66 KB to 548 KB when it did).
import type { LedgerType, Movement } from './movements.ts'
import type { TransferLine } from './transfers.ts'

/** What a row is shown and filtered as: its type, or `count` for an adjustment made by counting. */
export const kindOf = (m: Pick<Movement, 'type' | 'countedQuantity'>): LedgerType | 'count' =>
  m.type === 'adjustment' && m.countedQuantity !== null ? 'count' : m.type

/** A line's figures in the order the clients show them. */
const LINE_FIGURES = [
  'sent',
  'received',
  'damaged',
  'short',
  'toWriteOff',
  'toReturn',
  'returned',
  'writtenOff',
  'inTransit',
] as const
export type LineFigure = (typeof LINE_FIGURES)[number]
const ALWAYS_SHOWN: ReadonlySet<LineFigure> = new Set(['sent', 'received', 'inTransit'])

/** The figures a table of these lines shows: sent, received, in transit, and any other some line has. */
export const figuresShown = (lines: TransferLine[]): LineFigure[] =>
  LINE_FIGURES.filter((f) => ALWAYS_SHOWN.has(f) || lines.some((l) => l[f] !== 0))
