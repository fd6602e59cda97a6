import { z } from 'zod'
import { peerName, peerNodeId, peerShownText } from '../../api/members.ts'
import { sku } from '../../api/fields.ts'
import { MAX_DEADLINE_MS } from '../../api/network-stock.ts'
import type { ExchangeKind } from '../transport/transport.ts'

// POST /peer/stock: another warehouse's live figures, for a company-wide answer. Like every
// exchange, the receiver validates the message and the sender the answer, both with these
// schemas; the parameters travel in the signed body (the signature does not cover the query).

/** The most SKUs one message may name, and the most figures one answer carries. */
export const MAX_ASKED_SKUS = 1000
export const MAX_FIGURES = 5000

/** What is asked: these SKUs, or every item (`all`); `low` keeps those at or below reorder. */
export const stockAsk = z
  .object({
    skus: z.array(sku).min(1).max(MAX_ASKED_SKUS).optional(),
    all: z.literal(true).optional(),
    low: z.literal(true).optional(),
    /** What is left of the caller's deadline (bounded as the caller's): not worked past. */
    deadlineMs: z.int().min(1).max(MAX_DEADLINE_MS).optional(),
  })
  .refine((ask) => (ask.skus === undefined) !== (ask.all === undefined), {
    error: 'must name the SKUs asked (skus) or ask for every item (all: true), not both',
  })
export type StockAsk = z.output<typeof stockAsk>

const ledgerPosition = z.object({
  seq: z.int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
})

export const stockFigure = z.object({
  sku: z.string().min(1).max(64),
  name: peerShownText(200),
  unit: peerShownText(20),
  onHand: z.int(),
  reorderPoint: z.int().min(0).nullable(),
  // A node from before transfers has none: none sent, none received, none on the road.
  inTransit: z.int().default(0),
  sent: z.int().default(0),
  received: z.int().default(0),
})

/** The answer: this node, its figures and the ledger head they are the projection of. */
export const stockAnswer = z.object({
  node: z.object({ id: peerNodeId, name: peerName }),
  /** When the figures were read, on the answering node's clock. */
  at: z.iso.datetime(),
  ledger: ledgerPosition,
  figures: z.array(stockFigure).max(MAX_FIGURES),
  /** More items matched than MAX_FIGURES: these are the first, in SKU order. */
  truncated: z.boolean(),
  /** Why its writes are halted (its ledger failed a check), or null; none from older nodes. */
  halted: peerShownText(4000).nullable().default(null),
})
export type StockAnswer = z.output<typeof stockAnswer>

/**
 * The most bytes a figure takes as JSON: a 64-character SKU; a name of 200 and a unit of 20
 * characters, each at most 6 bytes (a character JSON escapes as \uXXXX); five whole numbers of
 * up to 17 characters; the field names and punctuation. The transport's default of 1 MiB was
 * too little: 5,000 items with SKUs of 21 characters and names of 100 take about 1.1 MB, and a
 * warehouse answering all of them had its answer cut off as bogus (not counted, and a problem
 * recorded against its address).
 */
const MAX_FIGURE_BYTES = 64 + 6 * (200 + 20) + 5 * 17 + 120

export const STOCK_EXCHANGE = {
  path: '/peer/stock',
  message: stockAsk,
  answer: stockAnswer,
  // Every figure at its largest, and the rest of the answer (its halted text at 6 bytes a
  // character) well within 64 KiB: about 8.1 MB.
  maxAnswerBytes: MAX_FIGURES * MAX_FIGURE_BYTES + 64 * 1024,
} as const satisfies ExchangeKind
