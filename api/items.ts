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

/** GET /network/items: every SKU known here; `unitsDiffer=true` keeps those with a unit conflict. */
export const networkItemsQuery = z.strictObject({
  search: text(100).optional(),
  unitsDiffer: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  ...paging,
})

/** POST /items/:sku/adopt: the peer (node id) whose definition this node takes on. */
export const adoptInput = z.strictObject({
  from: z
    .string({ error: 'must be the node id of a peer' })
    .min(1, { error: 'must not be empty' })
    .max(64, { error: 'must be at most 64 characters' }),
})

/** One warehouse's definition of a SKU: this node's own, or a peer's as replicated here. */
export interface ItemOrigin {
  node: { id: string; name: string }
  /** This node's own catalogue (false: a peer's, read-only here). */
  here: boolean
  item: Item
}

/** A SKU as the company knows it: who defines it, and whether their units differ. */
export interface NetworkItem {
  sku: string
  /** The units the definitions use, sorted: more than one is a conflict, never added silently. */
  units: string[]
  unitsDiffer: boolean
  /** In this node's own catalogue. */
  here: boolean
  origins: ItemOrigin[]
}

export type NetworkItemPage = Page<'items', NetworkItem>

/** What POST /items/:sku/adopt answers: 201 with adopted true, or 200 when it was here already. */
export interface Adopted {
  item: Item
  adopted: boolean
}
