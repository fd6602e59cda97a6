import { z } from 'zod'
import { pageRequest, read } from './descriptor.ts'

export interface Stock {
  sku: string
  name: string
  unit: string
  onHand: number
  /**
   * Out of here on open transfers and not yet settled, as this node knows it (what it sent less
   * what the receivers' receipts, write-offs and returns account for).
   */
  inTransit: number
  /** The ledger's projections (db/ledger/kinds.ts): sent on transfers and not returned or
   * written off; received from transfers. Over the company, Σ sent − Σ received is in transit. */
  sent: number
  received: number
  reorderPoint: number | null
  /** On hand is at or below the reorder point (never, without one). */
  low: boolean
  lastSeq: number | null
  updatedAt: string
}

/** One item's figure as another warehouse is told it (POST /peer/stock). */
export interface StockFigure {
  sku: string
  name: string
  unit: string
  onHand: number
  reorderPoint: number | null
  /** What this warehouse sent and has not heard settled: its own view of its transfers out. */
  inTransit: number
  /**
   * Projections of the ledger, like on hand: transferred out (less what came back or was written
   * off in transit), and transferred in. The company's in transit is Σ sent − Σ received.
   */
  sent: number
  received: number
}

/** This warehouse's figures with the ledger head they are the projection of, read together. */
export interface StockFigures {
  figures: StockFigure[]
  ledger: { seq: number; hash: string }
  /** More items matched than `limit`: the figures are the first ones, in SKU order. */
  truncated: boolean
}

export const stockOps = {
  'stock.get': read(z.strictObject({ sku: z.string() })).returns<Stock>(),
  'stock.list': read(z.strictObject({ ...pageRequest, low: z.boolean().optional() })).returns<{
    stock: Stock[]
    nextCursor: string | null
  }>(),
  /**
   * The figures of the SKUs asked (every item without `skus`; only those at or below their
   * reorder point with `low`), in SKU order, at most `limit`, and the ledger head, in one read.
   */
  'stock.figures': read(
    z.strictObject({
      skus: z.array(z.string()).optional(),
      low: z.boolean().optional(),
      limit: z.number().int().min(1),
    })
  ).returns<StockFigures>(),
}
