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

/** One warehouse's definition of a SKU: this node's own catalogue, or a peer's through its replica. */
export interface ItemOrigin {
  node: { id: string; name: string }
  /** This node's own catalogue (false: a peer's, read-only here). */
  here: boolean
  item: Item
}

/** A SKU as the company knows it: every warehouse that defines it, and whether their units differ. */
export interface NetworkItem {
  sku: string
  /** The units the definitions use, sorted; more than one is a conflict, never added silently. */
  units: string[]
  unitsDiffer: boolean
  /** Defined in this node's own catalogue. */
  here: boolean
  origins: ItemOrigin[]
}

/** What items.import does with a SKU the catalogue has: refuse the line, skip it, or update it. */
const IMPORT_EXISTING = ['refuse', 'skip', 'update'] as const
/** all: every line applies or none does; lines: the good lines apply, the bad are reported. */
const IMPORT_MODES = ['all', 'lines'] as const

const importInput = z.strictObject({
  /** Each item with the line of the file it came from, to name it in a refusal. */
  lines: z.array(z.strictObject({ line: z.number().int(), item: itemInput })),
  mode: z.enum(IMPORT_MODES),
  existing: z.enum(IMPORT_EXISTING),
})
export type ImportInput = z.infer<typeof importInput>

/** A line items.import did not apply, and why (a wire error's code and sentence). */
export interface ImportRefusal {
  line: number
  sku: string
  code: string
  error: string
}

/** What items.import did: counts by what happened to each line, and the lines refused. */
export interface ImportOutcome {
  created: number
  updated: number
  /** Existing SKUs the line matched exactly (existing=update): nothing written. */
  unchanged: number
  /** Existing SKUs left as they are (existing=skip). */
  skipped: number
  refused: ImportRefusal[]
}

export const itemOps = {
  'items.create': write(itemInput).returns<Item>(),
  'items.get': read(z.strictObject({ sku: z.string() })).returns<Item>(),
  'items.update': write(z.strictObject({ sku: z.string(), patch: itemPatch })).returns<Item>(),
  'items.list': read(z.strictObject({ ...pageRequest, search: z.string().optional() })).returns<{
    items: Item[]
    nextCursor: string | null
  }>(),
  'items.network': read(
    z.strictObject({
      ...pageRequest,
      search: z.string().optional(),
      unitsDiffer: z.boolean().optional(),
    })
  ).returns<{ items: NetworkItem[]; nextCursor: string | null }>(),
  'items.adopt': write(z.strictObject({ sku: z.string(), from: z.string() })).returns<{
    item: Item
    /** false: this node held the same definition already, and nothing changed. */
    adopted: boolean
  }>(),
  /**
   * Many items at once, in one transaction: created, or (existing=update) updated under the rules
   * of items.update. mode=all refuses the whole import with CONFLICT, applying nothing, when any
   * line is refused; mode=lines applies the others and lists the refused.
   */
  'items.import': write(importInput).returns<ImportOutcome>(),
}
