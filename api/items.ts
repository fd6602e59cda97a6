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

/** Items in one POST /items/import at most. */
export const MAX_IMPORT_ITEMS = 50_000

/** The columns of the items CSV, in the order exports write them. */
export const ITEM_COLUMNS = ['sku', 'name', 'unit', 'description', 'reorderPoint'] as const
/** The columns an import's header must have (the others may be left out). */
export const REQUIRED_ITEM_COLUMNS = ['sku', 'name', 'unit'] as const

/**
 * POST /items/import: `mode=all` (the default) applies every line or none; `mode=lines` applies
 * the good lines and reports the others. A SKU the catalogue has is refused by default
 * (`existing=refuse`), left as it is (`skip`), or changed as PATCH /items/:sku would (`update`).
 */
export const IMPORT_MODES = ['all', 'lines'] as const
export const IMPORT_EXISTING = ['refuse', 'skip', 'update'] as const

export const importQuery = z.strictObject({
  mode: z.enum(IMPORT_MODES, { error: 'must be all or lines' }).default('all'),
  existing: z.enum(IMPORT_EXISTING, { error: 'must be refuse, skip or update' }).default('refuse'),
})

/**
 * POST /items/import as JSON: the items as POST /items takes them. Each is checked on its own
 * (its `line` in a report is its place in the list, from 1), so that mode=lines can keep the good.
 */
export const importBody = z.strictObject({
  items: z
    .array(z.record(z.string(), z.unknown()), { error: 'must be a list of items' })
    .min(1, { error: 'must have at least one item' })
    .max(MAX_IMPORT_ITEMS, { error: `must have at most ${MAX_IMPORT_ITEMS} items` }),
})

/** A line of an import that was not applied: its line (of the file, or place in the list) and why. */
export interface ImportProblem {
  line: number
  /** The SKU as the line gives it, when it gives one. */
  sku?: string
  code: string
  error: string
  details?: { path: string; message: string }[]
}

/** What POST /items/import answers (200): what happened to the lines, and those not applied. */
export interface ImportReport {
  mode: (typeof IMPORT_MODES)[number]
  existing: (typeof IMPORT_EXISTING)[number]
  /** Item lines read (the CSV's header not counted). */
  lines: number
  created: number
  updated: number
  /** Lines for existing SKUs that matched them already (existing=update): nothing written. */
  unchanged: number
  skipped: number
  refused: ImportProblem[]
}

/** GET /items/export and GET /stock/export: the whole list, as CSV (the default) or JSON. */
export const exportQuery = z.strictObject({
  format: z.enum(['csv', 'json'], { error: 'must be csv or json' }).default('csv'),
})

/** A CSV record (header → fields) as the item it stands for; empty reorderPoint is none (null). */
export function itemOfCsv(header: readonly string[], fields: readonly string[]): unknown {
  const item: Record<string, unknown> = {}
  header.forEach((column, i) => {
    const value = fields[i]
    if (column !== 'reorderPoint') item[column] = value
    else {
      const trimmed = value.trim()
      item.reorderPoint =
        trimmed === '' ? null : /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed
    }
  })
  return item
}
