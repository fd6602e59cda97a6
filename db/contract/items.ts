import { z } from 'zod'
import { pageRequest, read, write } from './descriptor.ts'

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

const reorderPoint = z.number().int().min(0).nullable()

const itemInput = z.strictObject({
  sku: z.string(),
  name: z.string(),
  unit: z.string(),
  description: z.string().optional(),
  reorderPoint: reorderPoint.optional(),
})
export type ItemInput = z.infer<typeof itemInput>

const itemPatch = z.strictObject({
  name: z.string().optional(),
  unit: z.string().optional(),
  description: z.string().optional(),
  reorderPoint: reorderPoint.optional(),
})
export type ItemPatch = z.infer<typeof itemPatch>

export const itemOps = {
  'items.create': write(itemInput).returns<Item>(),
  'items.get': read(z.strictObject({ sku: z.string() })).returns<Item>(),
  'items.update': write(z.strictObject({ sku: z.string(), patch: itemPatch })).returns<Item>(),
  'items.list': read(z.strictObject({ ...pageRequest, search: z.string().optional() })).returns<{
    items: Item[]
    nextCursor: string | null
  }>(),
}
