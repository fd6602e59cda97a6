import { z } from 'zod'
import { pageRequest, read } from './descriptor.ts'

export interface Stock {
  sku: string
  name: string
  unit: string
  onHand: number
  reorderPoint: number | null
  /** On hand is at or below the reorder point (never, without one). */
  low: boolean
  lastSeq: number | null
  updatedAt: string
}

export const stockOps = {
  'stock.get': read(z.strictObject({ sku: z.string() })).returns<Stock>(),
  'stock.list': read(z.strictObject({ ...pageRequest, low: z.boolean().optional() })).returns<{
    stock: Stock[]
    nextCursor: string | null
  }>(),
}
