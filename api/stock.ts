// Stock on hand: GET /stock, GET /stock/:sku.
import { z } from 'zod'
import { paging, type Page } from './fields.ts'

/** GET /stock: `low=true` keeps the items at or below their reorder point. */
export const stockQuery = z.strictObject({
  low: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  ...paging,
})

export interface Stock {
  sku: string
  name: string
  unit: string
  onHand: number
  /** Sent from here on transfers not yet settled, as this warehouse knows it. */
  inTransit: number
  /** Sent on transfers (less returned and written off), and received from them: over the
   * company, Σ sent − Σ received is the stock on the road. */
  sent: number
  received: number
  reorderPoint: number | null
  /** On hand is at or below the reorder point (never, without one). */
  low: boolean
  lastSeq: number | null
  updatedAt: string
}

export type StockPage = Page<'stock', Stock>
