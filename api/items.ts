// The catalogue: GET|POST /items, GET|PATCH /items/:sku.
import { z } from 'zod'
import { paging, reorderPoint, requiredText, sku, text, type Page } from './fields.ts'

/** POST /items */
export const itemInput = z.strictObject({
  sku,
  name: requiredText(200),
  unit: requiredText(20),
  description: text(2000).optional(),
  reorderPoint: reorderPoint.optional(),
})
export type ItemInput = z.output<typeof itemInput>

/** PATCH /items/:sku: any of the fields but the SKU, at least one. */
export const itemPatch = z
  .strictObject({
    name: requiredText(200).optional(),
    unit: requiredText(20).optional(),
    description: text(2000).optional(),
    reorderPoint: reorderPoint.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, {
    error: 'must change at least one of name, unit, description, reorderPoint',
  })
export type ItemPatch = z.output<typeof itemPatch>

/** GET /items: narrowed to items whose SKU, name or description match `search`. */
export const itemsQuery = z.strictObject({ search: text(100).optional(), ...paging })

/** A catalogue entry. `sku` is the company-wide key, stored upper-case. */
export interface Item {
  sku: string
  name: string
  unit: string
  description: string
  /** Stock at or below it is low; null: no reorder point, never low. */
  reorderPoint: number | null
  createdAt: string
  updatedAt: string
}

export type ItemPage = Page<'items', Item>
